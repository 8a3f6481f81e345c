"""Installations in Redis, behind slack_sdk's ``InstallationStore`` interface.

Per workspace, or per org for an org-wide install (``bot.installs.owner``): the latest bot (its
token, and the refresh token and expiry when the app rotates tokens), the latest installation,
the latest installation by each installer, and a capped history of earlier bots and
installations. Records are the models' own attribute dictionaries as JSON, which the models take
back as keyword arguments (as slack_sdk's file store does).

Saving an installation also takes its owner off the list of uninstalled workspaces, so a
reinstall within the grace period keeps the data (``bot.installs.retention``). Nothing is
cached here: a token deleted by one process is gone for every process at once.
"""

from __future__ import annotations

import json
import logging
from logging import Logger
from typing import Any

import redis
from slack_sdk.oauth.installation_store import Bot, Installation, InstallationStore

from bot.installs.owner import Owner
from bot.keys import UNINSTALLED_KEY, install_key

# Earlier bots and installations kept per owner; enough to see the last months of rotations.
HISTORY_LIMIT = 50


class RedisInstallationStore(InstallationStore):
    def __init__(self, client: redis.Redis, logger: Logger | None = None) -> None:
        self.redis = client
        self._logger = logger or logging.getLogger(__name__)

    @property
    def logger(self) -> Logger:
        return self._logger

    # ---- saving

    def save(self, installation: Installation) -> None:
        owner = Owner.of(
            installation.enterprise_id, installation.team_id, installation.is_enterprise_install
        )
        entity = _json(installation)
        pipe = self.redis.pipeline(transaction=True)
        pipe.set(self._key(owner, "installation"), entity)
        pipe.set(self._key(owner, "installer", installation.user_id or "-"), entity)
        _push_history(pipe, self._key(owner, "history"), entity)
        bot = installation.to_bot() if installation.bot_token else None
        if bot is not None:
            self._put_bot(pipe, owner, bot)
        # A reinstall: whatever the uninstall left is the owner's again.
        pipe.zrem(UNINSTALLED_KEY, owner.marker())
        pipe.execute()

    def save_bot(self, bot: Bot) -> None:
        if not bot.bot_token:
            return
        owner = Owner.of(bot.enterprise_id, bot.team_id, bot.is_enterprise_install)
        pipe = self.redis.pipeline(transaction=True)
        self._put_bot(pipe, owner, bot)
        pipe.execute()

    def _put_bot(self, pipe: redis.client.Pipeline, owner: Owner, bot: Bot) -> None:
        entity = _json(bot)
        pipe.set(self._key(owner, "bot"), entity)
        _push_history(pipe, self._key(owner, "bot-history"), entity)

    # ---- finding

    def find_bot(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        is_enterprise_install: bool | None = False,
    ) -> Bot | None:
        owner = Owner.of(enterprise_id, team_id, is_enterprise_install)
        data = self._load(self._key(owner, "bot"))
        return Bot(**data) if data is not None else None

    def find_installation(
        self,
        *,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None = None,
        is_enterprise_install: bool | None = False,
    ) -> Installation | None:
        owner = Owner.of(enterprise_id, team_id, is_enterprise_install)
        key = (
            self._key(owner, "installer", user_id) if user_id else self._key(owner, "installation")
        )
        data = self._load(key)
        if data is None:
            return None
        installation = Installation(**data)
        # The bot's token may have been refreshed since this installation was saved.
        bot = self.find_bot(
            enterprise_id=enterprise_id,
            team_id=team_id,
            is_enterprise_install=is_enterprise_install,
        )
        if bot is not None:
            installation.bot_id = bot.bot_id
            installation.bot_user_id = bot.bot_user_id
            installation.bot_token = bot.bot_token
            installation.bot_scopes = bot.bot_scopes
            installation.bot_refresh_token = bot.bot_refresh_token
            installation.bot_token_expires_at = bot.bot_token_expires_at
        return installation

    def bot_history(self, owner: Owner) -> list[Bot]:
        """Earlier bots of ``owner``, newest first."""
        return [
            Bot(**json.loads(str(item)))
            for item in self.redis.lrange(self._key(owner, "bot-history"), 0, -1)
        ]

    def installation_history(self, owner: Owner) -> list[Installation]:
        """Earlier installations of ``owner``, newest first."""
        return [
            Installation(**json.loads(str(item)))
            for item in self.redis.lrange(self._key(owner, "history"), 0, -1)
        ]

    # ---- deleting

    def delete_bot(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        owner = Owner(enterprise_id or None, team_id or None)
        self.redis.delete(self._key(owner, "bot"), self._key(owner, "bot-history"))

    def delete_installation(
        self, *, enterprise_id: str | None, team_id: str | None, user_id: str | None = None
    ) -> None:
        owner = Owner(enterprise_id or None, team_id or None)
        if user_id:
            self.redis.delete(self._key(owner, "installer", user_id))
            return
        installers = self.redis.scan_iter(match=self._key(owner, "installer") + ":*", count=200)
        self.redis.delete(
            self._key(owner, "installation"), self._key(owner, "history"), *installers
        )

    def delete_all(self, *, enterprise_id: str | None, team_id: str | None) -> None:
        self.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    # ---- helpers

    @staticmethod
    def _key(owner: Owner, *parts: str) -> str:
        return install_key(owner.enterprise_id, owner.team_id, *parts)

    def _load(self, key: str) -> dict[str, Any] | None:
        raw = self.redis.get(key)
        if raw is None:
            return None
        data = json.loads(str(raw))
        return data if isinstance(data, dict) else None


def _json(model: Bot | Installation) -> str:
    return json.dumps(model.__dict__)


def _push_history(pipe: redis.client.Pipeline, key: str, entity: str) -> None:
    pipe.lpush(key, entity)
    pipe.ltrim(key, 0, HISTORY_LIMIT - 1)
