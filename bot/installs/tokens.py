"""The one place a workspace's bot token comes from, for listeners, jobs and API calls alike.

- :class:`SingleToken`: ``SLACK_BOT_TOKEN``, the same for every workspace (the default mode).
- :class:`InstalledTokens`: the installation store, in OAuth mode. When the app rotates tokens,
  a token within :data:`REFRESH_MINUTES` of its expiry is refreshed before it is handed out, and
  :meth:`InstalledTokens.refresh` replaces one Slack already called expired. One process at a
  time refreshes a workspace's token (a lock in Redis): Slack's refresh token is single-use, so
  two processes refreshing with the same one would leave one of them with a dead token.

Nothing is cached in a process: every answer is read from Redis, so a token deleted on
uninstall, or replaced by a refresh in another process, is gone or replaced for all at once.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Protocol

import redis
from slack_sdk.errors import SlackClientError
from slack_sdk.oauth.installation_store import Bot
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.installs.owner import Owner
from bot.installs.store import RedisInstallationStore
from bot.keys import Workspace, install_key

log = logging.getLogger(__name__)

# Refresh this long before expiry (Slack's tokens live 12 hours); a training step that lasts
# hours still asks for its token before every call, so it is refreshed on the way.
REFRESH_MINUTES = 120
# A refresh is one call to Slack; the lock outlives any that has not given up.
REFRESH_LOCK_SECONDS = 30.0
REFRESH_WAIT_POLL_SECONDS = 0.05
# Releases the lock only if it is still the holder's (it may have expired and moved on).
_RELEASE = """
if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end
return 0
"""


class WorkspaceNotInstalled(SlackClientError):
    """The app is not installed in the workspace (uninstalled, or never installed), so there
    is no token to call Slack for it. A client error: code that tolerates Slack failing
    tolerates this too."""


class TokenResolver(Protocol):
    def bot_token(self, workspace: Workspace) -> str:
        """The token to call Slack with for ``workspace``; raises WorkspaceNotInstalled."""
        ...

    def refresh(self, workspace: Workspace, expired: str) -> str:
        """A token to use instead of ``expired``, which Slack refused as expired."""
        ...


@dataclass(frozen=True)
class SingleToken:
    """One workspace: ``SLACK_BOT_TOKEN`` for everything."""

    token: str

    def bot_token(self, workspace: Workspace) -> str:
        return self.token

    def refresh(self, workspace: Workspace, expired: str) -> str:
        return self.token  # nothing to refresh: the caller sees Slack's error


class InstalledTokens:
    """Many workspaces: each one's token from the installation store, refreshed in time."""

    def __init__(
        self,
        store: RedisInstallationStore,
        rotator: TokenRotator,
        refresh_minutes: int = REFRESH_MINUTES,
        lock_seconds: float = REFRESH_LOCK_SECONDS,
    ) -> None:
        self.store = store
        self.rotator = rotator
        self.refresh_minutes = refresh_minutes
        self.lock_seconds = lock_seconds
        self._release = store.redis.register_script(_RELEASE)

    # ---- the resolver

    def bot_token(self, workspace: Workspace) -> str:
        bot = self.fresh_bot(workspace.enterprise_id, workspace.team_id, None)
        if bot is None:
            raise WorkspaceNotInstalled(
                f"alignbot is not installed in workspace {workspace.team_id}"
            )
        return bot.bot_token

    def refresh(self, workspace: Workspace, expired: str) -> str:
        bot = self.find(workspace.enterprise_id, workspace.team_id, None)
        if bot is None:
            raise WorkspaceNotInstalled(
                f"alignbot is not installed in workspace {workspace.team_id}"
            )
        if bot.bot_token != expired or bot.bot_refresh_token is None:
            return bot.bot_token  # refreshed meanwhile, or nothing to refresh with
        refreshed = self._refresh(bot, expired=expired)
        return refreshed.bot_token

    # ---- for Bolt's authorize and the resolver

    def find(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
    ) -> Bot | None:
        """The bot installed for a workspace: its own install, else its org's org-wide one."""
        bot = self.store.find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is None and enterprise_id and not is_enterprise_install:
            bot = self.store.find_bot(
                enterprise_id=enterprise_id, team_id=None, is_enterprise_install=True
            )
        return bot

    def fresh_bot(
        self, enterprise_id: str | None, team_id: str | None, is_enterprise_install: bool | None
    ) -> Bot | None:
        """:meth:`find`, with a token that is not about to expire."""
        bot = self.find(enterprise_id, team_id, is_enterprise_install)
        if bot is not None and self._expiring(bot):
            bot = self._refresh(bot)
        return bot

    # ---- refreshing

    def _expiring(self, bot: Bot) -> bool:
        expires_at = bot.bot_token_expires_at
        return (
            bot.bot_refresh_token is not None
            and expires_at is not None
            and expires_at <= time.time() + self.refresh_minutes * 60
        )

    def _refresh(self, bot: Bot, expired: str | None = None) -> Bot:
        """Refresh ``bot``'s token under the owner's lock; a process that finds the lock taken
        waits for the holder's result instead of spending the refresh token again."""
        owner = Owner.of(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        lock = install_key(owner.enterprise_id, owner.team_id, "refreshing")
        holder = secrets.token_hex(8)
        deadline = time.monotonic() + self.lock_seconds
        redis_client = self.store.redis
        while not redis_client.set(lock, holder, nx=True, px=int(self.lock_seconds * 1000)):
            if time.monotonic() > deadline:
                raise WorkspaceNotInstalled("another process is still refreshing this token")
            time.sleep(REFRESH_WAIT_POLL_SECONDS)
            current = self._current(owner)
            if current is None:
                raise WorkspaceNotInstalled("alignbot was uninstalled from this workspace")
            if not self._stale(current, expired):
                return current
        try:
            current = self._current(owner)
            if current is None:
                raise WorkspaceNotInstalled("alignbot was uninstalled from this workspace")
            if not self._stale(current, expired):
                return current  # the previous holder refreshed it
            refreshed = self.rotator.perform_bot_token_rotation(
                bot=current,
                # Slack said the token expired: refresh whatever its recorded expiry says.
                minutes_before_expiration=10**9 if expired else self.refresh_minutes,
            )
            if refreshed is None:
                return current
            self.store.save_bot(refreshed)
            log.info("refreshed the bot token of %s", owner)
            return refreshed
        finally:
            try:
                self._release(keys=[lock], args=[holder])
            except redis.RedisError:
                log.warning("could not release the token refresh lock of %s", owner)

    def _current(self, owner: Owner) -> Bot | None:
        return self.store.find_bot(
            enterprise_id=owner.enterprise_id,
            team_id=owner.team_id,
            is_enterprise_install=owner.team_id is None,
        )

    def _stale(self, bot: Bot, expired: str | None) -> bool:
        if expired is not None:
            return bot.bot_token == expired
        return self._expiring(bot)
