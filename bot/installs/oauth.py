"""What the Bolt app is built with in OAuth mode: the install flow's settings and the
authorize step, both over the Redis stores. In single-token mode, nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from slack_bolt.oauth.oauth_settings import OAuthSettings

from bot.installs.authorize import ResolverAuthorize
from bot.installs.pages import CALLBACKS, INSTALL_PATH, REDIRECT_PATH
from bot.installs.state import STATE_SECONDS, RedisOAuthStateStore
from bot.installs.tokens import REFRESH_MINUTES, InstalledTokens
from bot.slack.app_manifest import app_manifest
from bot.slack.manifest import declared_scopes

if TYPE_CHECKING:
    from bot.services import Services


def authorize_url(slack_api_url: str) -> str:
    """Slack's authorize page beside its Web API (``https://slack.com/oauth/v2/authorize``),
    so a bot pointed at another Slack API URL sends installers to the same place."""
    return slack_api_url.rstrip("/").removesuffix("/api") + "/oauth/v2/authorize"


def app_options(services: Services) -> dict[str, Any]:
    """Keyword arguments for Bolt's ``App``: the OAuth flow and authorize in OAuth mode."""
    settings = services.settings
    if not settings.oauth:
        return {}
    tokens = services.tokens
    if not isinstance(tokens, InstalledTokens):
        raise TypeError("OAuth mode resolves tokens from the installation store")
    assert settings.slack_client_id and settings.slack_client_secret and settings.slack_state_secret
    oauth_settings = OAuthSettings(
        client_id=settings.slack_client_id,
        client_secret=settings.slack_client_secret,
        scopes=sorted(declared_scopes(app_manifest())),
        user_scopes=[],
        install_path=INSTALL_PATH,
        redirect_uri_path=REDIRECT_PATH,
        authorization_url=authorize_url(settings.slack_api_url),
        callback_options=CALLBACKS,
        installation_store=services.installations,
        token_rotation_expiration_minutes=REFRESH_MINUTES,
        state_store=RedisOAuthStateStore(
            services.redis, settings.slack_state_secret, expiration_seconds=STATE_SECONDS
        ),
        state_expiration_seconds=STATE_SECONDS,
    )
    return {"oauth_settings": oauth_settings, "authorize": ResolverAuthorize(tokens)}
