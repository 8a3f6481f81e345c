"""Uninstalling: the token goes at once, in every process; the data stays for the grace period
(so a reinstall finds it) and is then removed by the sweep; org-wide installs on Enterprise
Grid go the same way for every workspace of the org."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import redis

from bot.installs.retention import SECONDS_PER_DAY, Retention
from bot.installs.store import RedisInstallationStore
from bot.keys import UNINSTALLED_KEY, Workspace
from bot.prompts.store import PromptStore
from bot.services import Services
from tests.fakes.bot_harness import BotProcess, InProcessBot, wait_until
from tests.fakes.installer import install
from tests.fakes.slack_signing import SlackSigner
from tests.fakes.slash_commands import Person, ResponseUrlServer, message_text
from tests.scenarios.installs.conftest import ALPHA, BRAVO, GRACE_DAYS, OAUTH_ENV
from tests.scenarios.labelers.support import FileSlack

GRACE_SECONDS = GRACE_DAYS * SECONDS_PER_DAY


def namespace_keys(client: redis.Redis, workspace: Workspace) -> list[str]:
    return [str(key) for key in client.scan_iter(match=f"{workspace.namespace}:*")]


def refusal(person: Person[Any], text: str) -> str:
    """What the person is told when the bot has no installation for their workspace (Bolt
    answers through the response URL, with Slack's default of a private reply)."""
    before = person.send(text)
    return message_text(person.responses.wait_for_reply(before + 1))


def uninstall(bot: InProcessBot | BotProcess, signer: SlackSigner, body: dict[str, Any]) -> None:
    assert bot.post(signer.signed(json.dumps(body), "application/json")).status == 200


def test_uninstall_takes_the_token_at_once_in_every_process_and_the_data_after_the_grace(
    bot_process: Callable[..., BotProcess],
    slack: FileSlack,
    responses: ResponseUrlServer,
    redis_client: redis.Redis,
) -> None:
    # `alignbot serve` answers commands; the event process it starts applies the uninstall.
    bot = bot_process(**OAUTH_ENV)
    slack.redirect_url = f"{bot.base_url}/slack/oauth_redirect"
    for team in (ALPHA, BRAVO):
        assert install(bot.base_url, team).page.status == 200
        assert "Created" in Person(bot, responses, team_id=team).ask("new uses Uses of {item}.")
    alpha_tokens = set(slack.tokens_of(ALPHA))
    store = RedisInstallationStore(redis_client)

    slack.revoke_all(ALPHA)
    signer = SlackSigner(team_id=ALPHA)
    uninstall(bot, signer, signer.event_body({"type": "app_uninstalled"}))
    wait_until(
        lambda: store.find_bot(enterprise_id=None, team_id=ALPHA) is None,
        15,
        what="the event process to delete the installation",
    )
    assert store.find_installation(enterprise_id=None, team_id=ALPHA) is None
    calls_before = len(slack.calls)

    # The serving process finds no token for Alpha, says so, and calls Slack for nobody.
    refused = refusal(Person(bot, responses, team_id=ALPHA), "list")
    assert "no longer available" in refused and "reinstall" in refused.lower()
    assert not [c for c in slack.calls[calls_before:] if c.token in alpha_tokens]
    # Bravo goes on as before.
    assert "uses" in Person(bot, responses, team_id=BRAVO).ask("list")

    # Alpha's data is kept through the grace period, then swept; Bravo's stays.
    retention = Retention(redis_client, GRACE_SECONDS)
    assert retention.sweep(time.time()) == 0
    assert PromptStore(redis_client, Workspace(ALPHA)).exists("uses")
    assert retention.sweep(time.time() + GRACE_SECONDS + 60) > 0
    assert namespace_keys(redis_client, Workspace(ALPHA)) == []
    assert PromptStore(redis_client, Workspace(BRAVO)).exists("uses")
    assert redis_client.zcard(UNINSTALLED_KEY) == 0


def test_a_reinstall_within_the_grace_period_finds_the_data_again(
    bot: InProcessBot,
    slack: FileSlack,
    services: Services,
    responses: ResponseUrlServer,
    redis_client: redis.Redis,
) -> None:
    assert install(bot.base_url, ALPHA).page.status == 200
    alpha = Person(bot, responses, team_id=ALPHA)
    assert "Created" in alpha.ask("new uses Uses of {item}.")
    signer = SlackSigner(team_id=ALPHA)
    uninstall(bot, signer, signer.event_body({"type": "tokens_revoked", "tokens": {"bot": ["U0"]}}))
    wait_until(
        lambda: services.installations.find_bot(enterprise_id=None, team_id=ALPHA) is None,
        15,
        what="the revoked token to be deleted",
    )

    assert install(bot.base_url, ALPHA).page.status == 200

    assert "uses" in alpha.ask("list")
    assert redis_client.zcard(UNINSTALLED_KEY) == 0
    # Nothing is due for removal any more, however late the sweep runs.
    Retention(redis_client, GRACE_SECONDS).sweep(time.time() + 100 * GRACE_SECONDS)
    assert PromptStore(redis_client, Workspace(ALPHA)).exists("uses")


def test_an_org_wide_install_serves_every_workspace_of_the_org_and_leaves_as_one(
    bot: InProcessBot,
    slack: FileSlack,
    services: Services,
    responses: ResponseUrlServer,
    redis_client: redis.Redis,
) -> None:
    org = "E0GRID"
    slack.add_workspace(org, "Grid", enterprise_id=org, org_wide=True)
    assert install(bot.base_url, org).page.status == 200
    [org_token] = slack.tokens_of(org)
    installed = services.installations.find_installation(
        enterprise_id=org, team_id=None, is_enterprise_install=True
    )
    assert installed is not None and installed.team_id is None and installed.is_enterprise_install

    # Two workspaces of the org: each keeps its own prompts, both served with the org's token.
    first, second = Person(bot, responses), Person(bot, responses)
    first.signer = SlackSigner(team_id="T0GRIDA", enterprise_id=org)
    second.signer = SlackSigner(team_id="T0GRIDB", enterprise_id=org)
    assert "Created" in first.ask("new uses Uses of {item}.")
    assert "uses" not in second.ask("list")
    assert PromptStore(redis_client, Workspace("T0GRIDA", org)).exists("uses")

    # Slack names the org-wide install in the event's authorizations.
    signer = SlackSigner(team_id="T0GRIDA", enterprise_id=org)
    body = signer.event_body({"type": "app_uninstalled"})
    body["authorizations"] = [
        {"enterprise_id": org, "team_id": None, "is_enterprise_install": True, "is_bot": True}
    ]
    uninstall(bot, signer, body)
    wait_until(
        lambda: (
            services.installations.find_bot(
                enterprise_id=org, team_id=None, is_enterprise_install=True
            )
            is None
        ),
        15,
        what="the org-wide installation to be deleted",
    )
    calls_before = len(slack.calls)
    assert "no longer available" in refusal(second, "list")
    assert org_token not in {call.token for call in slack.calls[calls_before:]}

    Retention(redis_client, GRACE_SECONDS).sweep(time.time() + GRACE_SECONDS + 60)
    assert namespace_keys(redis_client, Workspace("T0GRIDA", org)) == []
