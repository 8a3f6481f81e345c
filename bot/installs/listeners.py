"""Uninstalls, in OAuth mode: ``app_uninstalled`` and ``tokens_revoked`` delete the
installation at once (every process reads tokens from Redis, so none keeps using it) and start
the grace period after which the sweep removes the workspace's data (``retention``)."""

from __future__ import annotations

import logging
import time
from typing import Any

from slack_bolt import App

from bot.installs.owner import Owner
from bot.installs.retention import SECONDS_PER_DAY, Retention
from bot.services import Services

log = logging.getLogger(__name__)


def retention_of(services: Services) -> Retention:
    return Retention(services.redis, services.settings.uninstall_grace_days * SECONDS_PER_DAY)


def uninstalled(services: Services, owner: Owner) -> None:
    services.installations.delete_all(enterprise_id=owner.enterprise_id, team_id=owner.team_id)
    retention_of(services).mark_uninstalled(owner, time.time())
    log.info(
        "alignbot was uninstalled (%s); its data is removed in %g days unless it is reinstalled",
        owner,
        services.settings.uninstall_grace_days,
    )


def register(app: App, services: Services) -> None:
    if not services.settings.oauth:
        return  # one workspace, one token from the settings: nothing is stored to delete

    @app.event("app_uninstalled")
    def on_uninstalled(body: dict[str, Any]) -> None:
        owner = Owner.of_event(body)
        if owner is not None:
            uninstalled(services, owner)

    @app.event("tokens_revoked")
    def on_tokens_revoked(body: dict[str, Any], event: dict[str, Any]) -> None:
        owner = Owner.of_event(body)
        if owner is None:
            return
        tokens = event.get("tokens") or {}
        for user in tokens.get("oauth") or []:
            if isinstance(user, str):
                services.installations.delete_installation(
                    enterprise_id=owner.enterprise_id, team_id=owner.team_id, user_id=user
                )
        if tokens.get("bot"):
            # Without its bot token the app can do nothing there: as good as uninstalled.
            uninstalled(services, owner)
