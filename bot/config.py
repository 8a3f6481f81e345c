"""Everything the bot is configured with, read once from the environment and an optional ``.env``.

Start-up fails with one message that lists every missing or malformed setting and where to get
it, so a person setting the bot up fixes everything in one pass instead of one error per restart.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values

from alignment.model_helper import PROVIDERS, Provider, parse_spec, spec_problem
from bot.admins import AdminListError, parse_admins
from bot.feedback.kinds import FEEDBACK_KINDS
from bot.feedback.reactions import (
    DEFAULT_REACTION_MAP,
    ReactionMap,
    ReactionMapError,
    parse_reaction_map,
)
from bot.observability.logs import (
    LOG_FORMATS,
    LOG_LEVELS,
    LogFormat,
    parse_log_format,
    parse_log_level,
)
from bot.observability.redaction import public_urls

DEFAULT_SLACK_API_URL = "https://slack.com/api/"
DEFAULT_MODEL = "gemini:gemini-2.5-flash"
DEFAULT_PORT = 3000
DEFAULT_DATA_DIR = "./data"
DEFAULT_EVENT_PROCESSES = 1
MAX_EVENT_PROCESSES = 16
# Model calls per hour: enough for a person to run and give feedback all day, not to flood.
DEFAULT_USER_CALLS_PER_HOUR = 300
DEFAULT_WORKSPACE_CALLS_PER_HOUR = 3000
DEFAULT_TRAININGS_PER_WORKSPACE = 2
DEFAULT_DATASET_MB_PER_WORKSPACE = 100
# An application caching its prompts asks a few times a minute; this leaves room for many.
DEFAULT_API_REQUESTS_PER_MINUTE = 600
# Days a workspace's data is kept after the app is uninstalled from it (OAuth mode).
DEFAULT_UNINSTALL_GRACE_DAYS = 30.0
# An OAuth state secret shorter than this is too easy to guess.
MIN_STATE_SECRET_LENGTH = 32
OAUTH_VARIABLES = ("SLACK_CLIENT_ID", "SLACK_CLIENT_SECRET", "SLACK_STATE_SECRET")
# Whole-number settings with their defaults, smallest allowed value and meaning.
_LIMITS = {
    "ALIGN_USER_CALLS_PER_HOUR": (DEFAULT_USER_CALLS_PER_HOUR, 1),
    "ALIGN_WORKSPACE_CALLS_PER_HOUR": (DEFAULT_WORKSPACE_CALLS_PER_HOUR, 1),
    "ALIGN_TRAININGS_PER_WORKSPACE": (DEFAULT_TRAININGS_PER_WORKSPACE, 1),
    "ALIGN_DATASET_MB_PER_WORKSPACE": (DEFAULT_DATASET_MB_PER_WORKSPACE, 1),
    "ALIGN_API_REQUESTS_PER_MINUTE": (DEFAULT_API_REQUESTS_PER_MINUTE, 1),
}

# Where a person finds each value; quoted in the start-up error.
WHERE_TO_GET = {
    "SLACK_BOT_TOKEN": (
        "Slack app page > OAuth & Permissions > Bot User OAuth Token (xoxb-...); leave unset "
        "when installing into many workspaces (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET, "
        "SLACK_STATE_SECRET)"
    ),
    "SLACK_CLIENT_ID": "Slack app page > Basic Information > App Credentials > Client ID",
    "SLACK_CLIENT_SECRET": "Slack app page > Basic Information > App Credentials > Client Secret",
    "SLACK_STATE_SECRET": (
        f"a random string of at least {MIN_STATE_SECRET_LENGTH} characters that signs OAuth "
        "install links (e.g. `openssl rand -hex 32`)"
    ),
    "ALIGN_UNINSTALL_GRACE_DAYS": (
        "days a workspace's prompts and labelers are kept after the app is uninstalled from it, "
        f"so a reinstall finds them (default {DEFAULT_UNINSTALL_GRACE_DAYS:g}; 0 removes them "
        "at the next sweep)"
    ),
    "SLACK_SIGNING_SECRET": "Slack app page > Basic Information > App Credentials > Signing Secret",
    "SLACK_APP_TOKEN": (
        "Slack app page > Basic Information > App-Level Tokens, a token with the "
        "connections:write scope (xapp-...); leave unset to receive events over HTTP"
    ),
    "SLACK_API_URL": f"leave unset for Slack ({DEFAULT_SLACK_API_URL}); an http(s) URL otherwise",
    "REDIS_URL": (
        "redis://host:6379/0, rediss://... or unix:///path/redis.sock; leave unset for an "
        "embedded Redis kept under ALIGN_DATA_DIR"
    ),
    "ALIGN_DATA_DIR": f"a writable directory (default {DEFAULT_DATA_DIR})",
    "ALIGN_MODEL": (
        f"a model spec such as {DEFAULT_MODEL} or openai:gpt-4o-mini (provider:model name)"
    ),
    "ALIGN_ALIGNMENT_MODEL": "a model spec like ALIGN_MODEL; leave unset to use ALIGN_MODEL",
    "ALIGN_TRAIN_MODEL": (
        "a model spec like ALIGN_MODEL for training labelers; leave unset to use the "
        "alignment model"
    ),
    "GEMINI_API_KEY": "Google AI Studio > Get API key",
    "GOOGLE_GEMINI_BASE_URL": "leave unset for Google; the base URL of a compatible server",
    "OPENAI_API_KEY": "platform.openai.com > API keys (any value for a local server)",
    "OPENAI_BASE_URL": "leave unset for OpenAI; e.g. http://localhost:11434/v1 for Ollama",
    "PORT": (
        f"a TCP port number (default {DEFAULT_PORT}): Slack's requests in HTTP mode, and the "
        "prompt API, /healthz and /metrics in both modes"
    ),
    "ALIGN_PROMPT_API": (
        "true (default) to serve the prompt API under /api/v1 on PORT (in Socket Mode too); "
        "false to serve none (Socket Mode then opens no port)"
    ),
    "ALIGN_API_REQUESTS_PER_MINUTE": (
        "requests per minute one prompt API key may make, counted across every process "
        f"(default {DEFAULT_API_REQUESTS_PER_MINUTE})"
    ),
    "ALIGN_MODEL_RPM": (
        "the most requests per minute to send to each model, counted across every bot process "
        "and worker; leave unset for no limit"
    ),
    "ALIGN_TRAIN_LEASE_SECONDS": (
        "seconds a training step's lease lasts before another worker takes the step over "
        "(default 30)"
    ),
    "ALIGN_USER_CALLS_PER_HOUR": (
        "model calls one person may start per hour (runs, candidates, reactions, replies, "
        f"labelling rows), counted across every process (default {DEFAULT_USER_CALLS_PER_HOUR})"
    ),
    "ALIGN_WORKSPACE_CALLS_PER_HOUR": (
        "model calls a whole workspace may start per hour "
        f"(default {DEFAULT_WORKSPACE_CALLS_PER_HOUR})"
    ),
    "ALIGN_TRAININGS_PER_WORKSPACE": (
        f"labeler trainings a workspace may run at once (default {DEFAULT_TRAININGS_PER_WORKSPACE})"
    ),
    "ALIGN_DATASET_MB_PER_WORKSPACE": (
        "megabytes of uploaded training data a workspace may keep stored at once "
        f"(default {DEFAULT_DATASET_MB_PER_WORKSPACE})"
    ),
    "ALIGN_EVENT_PROCESSES": (
        f"how many processes `alignbot serve` starts to work on Slack events in HTTP mode "
        f"(0-{MAX_EVENT_PROCESSES}, default {DEFAULT_EVENT_PROCESSES}); 0 works on them in the "
        "serving process itself"
    ),
    "ALIGN_ADMINS": (
        "Slack user ids (U012AB3CD), comma-separated, who alone may change what prompts say, "
        "undo other people's changes and administer labelers; leave unset to let everyone"
    ),
    "ALIGN_ALLOW_EXTERNAL_USERS": (
        "true to apply feedback and prompt changes from people of other organizations in "
        "Slack Connect channels; leave unset (false) to refuse them"
    ),
    "ALIGN_LOG_LEVEL": f"one of {', '.join(LOG_LEVELS)} (default INFO)",
    "ALIGN_LOG_FORMAT": (
        f"one of {', '.join(LOG_FORMATS)} (default auto: readable text lines when stderr is a "
        "terminal, JSON lines otherwise)"
    ),
    "ALIGN_METRICS_TOKEN": (
        "a long random string (e.g. `openssl rand -hex 32`) that scrapers send as "
        "`Authorization: Bearer <token>` to read /metrics; leave unset to serve /metrics openly"
    ),
    "ALIGN_REACTIONS": (
        f"which reactions are feedback, e.g. {FEEDBACK_KINDS.reactions_example()}; "
        "kinds left out keep their default emoji"
    ),
}

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off"})


class SettingsError(Exception):
    """One or more settings are missing or malformed; the message lists them all."""

    def __init__(self, problems: Mapping[str, str]) -> None:
        self.problems = dict(problems)
        lines = ["alignbot cannot start; set these (in the environment or in .env):"]
        for name, problem in self.problems.items():
            lines.append(f"  {name}: {problem}\n      where: {WHERE_TO_GET.get(name, '')}")
        lines.append("Every setting is described in .env.example.")
        super().__init__("\n".join(lines))


# Token kinds whose prefix is public and tells which token is set; nothing else is shown.
_PUBLIC_PREFIXES = ("xoxb-", "xapp-", "xoxp-")


def _secret(value: str | None) -> str:
    if not value:
        return "None"
    prefix = next((p for p in _PUBLIC_PREFIXES if value.startswith(p)), "")
    return f"'{prefix}***'"


@dataclass(frozen=True)
class Settings:
    slack_bot_token: str = field(repr=False)
    slack_signing_secret: str = field(repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_url: str = DEFAULT_SLACK_API_URL
    redis_url: str | None = field(default=None, repr=False)
    data_dir: Path = Path(DEFAULT_DATA_DIR)
    model_spec: str = DEFAULT_MODEL
    alignment_model_spec: str | None = None
    train_model_spec: str | None = None
    gemini_api_key: str | None = field(default=None, repr=False)
    google_gemini_base_url: str | None = None
    openai_api_key: str | None = field(default=None, repr=False)
    openai_base_url: str | None = None
    port: int = DEFAULT_PORT
    model_requests_per_minute: int | None = None
    train_lease_seconds: float | None = None
    event_processes: int = DEFAULT_EVENT_PROCESSES
    admins: frozenset[str] = frozenset()
    allow_external_users: bool = False
    reactions: ReactionMap = DEFAULT_REACTION_MAP
    log_level: int = logging.INFO
    log_format: LogFormat = "auto"
    user_calls_per_hour: int = DEFAULT_USER_CALLS_PER_HOUR
    workspace_calls_per_hour: int = DEFAULT_WORKSPACE_CALLS_PER_HOUR
    trainings_per_workspace: int = DEFAULT_TRAININGS_PER_WORKSPACE
    dataset_mb_per_workspace: int = DEFAULT_DATASET_MB_PER_WORKSPACE
    # The key and base-URL variables of every provider in the library's registry, so a provider
    # added there is configured like the others without a field of its own here.
    provider_settings: Mapping[str, str] = field(default_factory=dict, repr=False)
    metrics_token: str | None = field(default=None, repr=False)
    prompt_api: bool = True
    api_requests_per_minute: int = DEFAULT_API_REQUESTS_PER_MINUTE
    # OAuth mode (installing into many workspaces): all three set, or none.
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    slack_state_secret: str | None = field(default=None, repr=False)
    uninstall_grace_days: float = DEFAULT_UNINSTALL_GRACE_DAYS

    @property
    def socket_mode(self) -> bool:
        return bool(self.slack_app_token)

    @property
    def oauth(self) -> bool:
        """Installed into workspaces through Slack's OAuth flow, each with its own token."""
        return bool(self.slack_client_id and self.slack_client_secret and self.slack_state_secret)

    @property
    def effective_alignment_model_spec(self) -> str:
        return self.alignment_model_spec or self.model_spec

    @property
    def effective_train_model_spec(self) -> str:
        return self.train_model_spec or self.effective_alignment_model_spec

    def model_environment(self) -> dict[str, str]:
        """The provider variables model clients read, for handing to a child process or client."""
        values: dict[str, str | None] = {
            **self.provider_settings,
            "GEMINI_API_KEY": self.gemini_api_key,
            "GOOGLE_GEMINI_BASE_URL": self.google_gemini_base_url,
            "OPENAI_API_KEY": self.openai_api_key,
            "OPENAI_BASE_URL": self.openai_base_url,
        }
        return {name: value for name, value in values.items() if value}

    def __repr__(self) -> str:
        # Secrets show at most their public token-kind prefix; URLs lose any user info or query.
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if f.repr:
                text = repr(public_urls(value) if isinstance(value, str) else value)
            elif isinstance(value, Mapping):
                # Provider settings mix keys and URLs; every value is treated as a secret.
                inner = ", ".join(f"{name!r}: {_secret(item)}" for name, item in value.items())
                text = f"{{{inner}}}"
            else:
                text = _secret(value)
            shown.append(f"{f.name}={text}")
        return f"Settings({', '.join(shown)})"

    __str__ = __repr__


def _url_problem(value: str, schemes: tuple[str, ...], show: bool = True) -> str | None:
    # A Redis URL may carry a password, so it is described without being quoted.
    shown = repr(public_urls(value)) if show else "the value"
    parsed = urlparse(value)
    if parsed.scheme not in schemes:
        return f"{shown} is not a URL starting with {' or '.join(s + '://' for s in schemes)}"
    if parsed.scheme != "unix" and not parsed.netloc:
        return f"{shown} has no host"
    if parsed.scheme == "unix" and not parsed.path:
        return f"{shown} has no socket path"
    return None


def _positive_number(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if value > 0 else None  # NaN fails the comparison too


def _days(text: str) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if 0 <= value < float("inf") else None  # NaN fails the comparison too


def load_settings(
    environ: Mapping[str, str] | None = None,
    dotenv_path: str | os.PathLike[str] | None = ".env",
) -> Settings:
    """Read and validate every setting; raises SettingsError naming all problems at once.

    Values in ``environ`` (the process environment by default) win over the ``.env`` file.
    """
    merged: dict[str, str] = {}
    if dotenv_path is not None and Path(dotenv_path).is_file():
        merged.update({k: v for k, v in dotenv_values(dotenv_path).items() if v is not None})
    merged.update(os.environ if environ is None else environ)

    def get(name: str) -> str | None:
        value = merged.get(name, "").strip()
        return value or None

    problems: dict[str, str] = {}
    oauth_values = {name: get(name) for name in OAUTH_VARIABLES}
    oauth = any(oauth_values.values())
    problems.update(_oauth_problems(oauth_values))
    bot_token = get("SLACK_BOT_TOKEN")
    if oauth and bot_token is not None:
        problems["SLACK_BOT_TOKEN"] = (
            "set either SLACK_BOT_TOKEN (one workspace) or the OAuth settings (many "
            "workspaces, each with its own token), not both"
        )
    elif bot_token is None and not oauth:
        problems["SLACK_BOT_TOKEN"] = "missing"
    elif bot_token is not None and not bot_token.startswith("xoxb-"):
        problems["SLACK_BOT_TOKEN"] = "a bot token starts with xoxb-"

    app_token = get("SLACK_APP_TOKEN")
    if oauth and app_token is not None:
        # Slack sends installers back to an HTTP redirect URL; Socket Mode has none to offer.
        problems["SLACK_APP_TOKEN"] = (
            "installing into many workspaces needs HTTP mode (Slack redirects installers to "
            "the bot's /slack/oauth_redirect); leave SLACK_APP_TOKEN unset"
        )
    if app_token is not None and not app_token.startswith("xapp-"):
        problems["SLACK_APP_TOKEN"] = "an app-level token starts with xapp-"

    signing_secret = get("SLACK_SIGNING_SECRET")
    if signing_secret is None and app_token is None:
        # Socket Mode traffic is authenticated by the app token; HTTP requests need the secret.
        problems["SLACK_SIGNING_SECRET"] = "missing (needed in HTTP mode, without SLACK_APP_TOKEN)"

    api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if problem := _url_problem(api_url, ("http", "https")):
        problems["SLACK_API_URL"] = problem
    if not api_url.endswith("/"):
        api_url += "/"

    redis_url = get("REDIS_URL")
    if redis_url is not None and (
        problem := _url_problem(redis_url, ("redis", "rediss", "unix"), show=False)
    ):
        problems["REDIS_URL"] = problem

    data_dir = Path(get("ALIGN_DATA_DIR") or DEFAULT_DATA_DIR)
    if data_dir.exists() and not data_dir.is_dir():
        problems["ALIGN_DATA_DIR"] = f"{str(data_dir)!r} exists and is not a directory"

    port_text = get("PORT") or str(DEFAULT_PORT)
    port = DEFAULT_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        problems["PORT"] = f"{port_text!r} is not a port number (1-65535)"
    else:
        port = int(port_text)

    rpm_text = get("ALIGN_MODEL_RPM")
    model_rpm = None
    if rpm_text is not None:
        if rpm_text.isdigit() and int(rpm_text) > 0:
            model_rpm = int(rpm_text)
        else:
            problems["ALIGN_MODEL_RPM"] = f"{rpm_text!r} is not a whole number above 0"

    lease_text = get("ALIGN_TRAIN_LEASE_SECONDS")
    train_lease_seconds = _positive_number(lease_text) if lease_text is not None else None
    if lease_text is not None and train_lease_seconds is None:
        problems["ALIGN_TRAIN_LEASE_SECONDS"] = f"{lease_text!r} is not a number of seconds above 0"

    processes_text = get("ALIGN_EVENT_PROCESSES")
    event_processes = DEFAULT_EVENT_PROCESSES
    if processes_text is not None:
        if processes_text.isdigit() and int(processes_text) <= MAX_EVENT_PROCESSES:
            event_processes = int(processes_text)
        else:
            problems["ALIGN_EVENT_PROCESSES"] = (
                f"{processes_text!r} is not a whole number from 0 to {MAX_EVENT_PROCESSES}"
            )

    # Every provider's base-URL variable, once each, in registry order.
    for name in dict.fromkeys(provider.base_url_variable for provider in PROVIDERS.values()):
        value = get(name)
        if value is not None and (problem := _url_problem(value, ("http", "https"))):
            problems[name] = problem

    admins: frozenset[str] = frozenset()
    try:
        admins = parse_admins(get("ALIGN_ADMINS"))
    except AdminListError as error:
        problems["ALIGN_ADMINS"] = str(error)
    external_text = (get("ALIGN_ALLOW_EXTERNAL_USERS") or "false").lower()
    allow_external_users = external_text in _TRUE
    if external_text not in _TRUE | _FALSE:
        problems["ALIGN_ALLOW_EXTERNAL_USERS"] = f"{external_text!r} is not true or false"
    prompt_api_text = (get("ALIGN_PROMPT_API") or "true").lower()
    if prompt_api_text not in _TRUE | _FALSE:
        problems["ALIGN_PROMPT_API"] = f"{prompt_api_text!r} is not true or false"
    reactions = DEFAULT_REACTION_MAP
    try:
        reactions = parse_reaction_map(get("ALIGN_REACTIONS"))
    except ReactionMapError as error:
        problems["ALIGN_REACTIONS"] = str(error)

    log_level = logging.INFO
    try:
        log_level = parse_log_level(get("ALIGN_LOG_LEVEL") or "INFO")
    except ValueError as error:
        problems["ALIGN_LOG_LEVEL"] = str(error)
    log_format: LogFormat = "auto"
    try:
        log_format = parse_log_format(get("ALIGN_LOG_FORMAT") or "auto")
    except ValueError as error:
        problems["ALIGN_LOG_FORMAT"] = str(error)

    grace_text = get("ALIGN_UNINSTALL_GRACE_DAYS")
    grace_days = DEFAULT_UNINSTALL_GRACE_DAYS
    if grace_text is not None:
        grace = _days(grace_text)
        if grace is None:
            problems["ALIGN_UNINSTALL_GRACE_DAYS"] = f"{grace_text!r} is not a number of days >= 0"
        else:
            grace_days = grace

    limits = {name: default for name, (default, _) in _LIMITS.items()}
    for name, (_, minimum) in _LIMITS.items():
        text = get(name)
        if text is None:
            continue
        if text.isdigit() and int(text) >= minimum:
            limits[name] = int(text)
        else:
            problems[name] = f"{text!r} is not a whole number of at least {minimum}"

    settings = Settings(
        slack_bot_token=bot_token or "",
        slack_signing_secret=signing_secret or "",
        slack_app_token=app_token,
        slack_api_url=api_url,
        redis_url=redis_url,
        data_dir=data_dir,
        model_spec=get("ALIGN_MODEL") or DEFAULT_MODEL,
        alignment_model_spec=get("ALIGN_ALIGNMENT_MODEL"),
        train_model_spec=get("ALIGN_TRAIN_MODEL"),
        gemini_api_key=get("GEMINI_API_KEY"),
        google_gemini_base_url=get("GOOGLE_GEMINI_BASE_URL"),
        openai_api_key=get("OPENAI_API_KEY"),
        openai_base_url=get("OPENAI_BASE_URL"),
        port=port,
        model_requests_per_minute=model_rpm,
        train_lease_seconds=train_lease_seconds,
        event_processes=event_processes,
        admins=admins,
        allow_external_users=allow_external_users,
        reactions=reactions,
        log_level=log_level,
        log_format=log_format,
        user_calls_per_hour=limits["ALIGN_USER_CALLS_PER_HOUR"],
        workspace_calls_per_hour=limits["ALIGN_WORKSPACE_CALLS_PER_HOUR"],
        trainings_per_workspace=limits["ALIGN_TRAININGS_PER_WORKSPACE"],
        dataset_mb_per_workspace=limits["ALIGN_DATASET_MB_PER_WORKSPACE"],
        provider_settings={
            name: value
            for provider in PROVIDERS.values()
            for name in (provider.key_variable, provider.base_url_variable)
            if (value := get(name))
        },
        metrics_token=get("ALIGN_METRICS_TOKEN"),
        prompt_api=prompt_api_text not in _FALSE,
        api_requests_per_minute=limits["ALIGN_API_REQUESTS_PER_MINUTE"],
        slack_client_id=oauth_values["SLACK_CLIENT_ID"],
        slack_client_secret=oauth_values["SLACK_CLIENT_SECRET"],
        slack_state_secret=oauth_values["SLACK_STATE_SECRET"],
        uninstall_grace_days=grace_days,
    )
    problems.update(_model_problems(settings))
    if problems:
        raise SettingsError(problems)
    return settings


def _oauth_problems(values: Mapping[str, str | None]) -> dict[str, str]:
    """OAuth mode needs all three of its settings; a state secret must be hard to guess."""
    if not any(values.values()):
        return {}
    needed = (
        "missing (OAuth mode needs SLACK_CLIENT_ID, SLACK_CLIENT_SECRET and SLACK_STATE_SECRET)"
    )
    problems = {name: needed for name, value in values.items() if value is None}
    secret = values.get("SLACK_STATE_SECRET")
    if secret is not None and len(secret) < MIN_STATE_SECRET_LENGTH:
        problems["SLACK_STATE_SECRET"] = f"shorter than {MIN_STATE_SECRET_LENGTH} characters"
    return problems


def _model_problems(settings: Settings) -> dict[str, str]:
    """Spec and key problems, as the library's provider registry defines them."""
    problems: dict[str, str] = {}
    specs = {"ALIGN_MODEL": settings.model_spec}
    if settings.alignment_model_spec:
        specs["ALIGN_ALIGNMENT_MODEL"] = settings.alignment_model_spec
    if settings.train_model_spec:
        specs["ALIGN_TRAIN_MODEL"] = settings.train_model_spec
    # Which providers the specs name; each then says what it needs from the settings.
    providers: dict[str, Provider] = {}
    for name, spec in specs.items():
        if problem := spec_problem(spec):
            problems[name] = problem
        else:
            provider = parse_spec(spec).provider
            providers[provider.name] = provider
    environment = settings.model_environment()
    for provider in providers.values():
        if problem := provider.settings_problem(environment):
            problems[provider.key_variable] = problem
    return problems
