"""Bolt's authorize step in OAuth mode: each request's workspace gets its token from the resolver.

Bolt's own ``InstallationStoreAuthorize`` calls ``auth.test`` on every request, a Slack round
trip on the ack path of every command; the stored bot already says who the bot is. It also
refreshes tokens without a lock. This one answers from Redis, through the same resolver the
jobs use (``bot.installs.tokens``), so there is one way to get a token.
"""

from __future__ import annotations

import logging

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize
from slack_bolt.context.context import BoltContext
from slack_sdk.errors import SlackClientError

from bot.installs.tokens import InstalledTokens

log = logging.getLogger(__name__)


class ResolverAuthorize(Authorize):
    def __init__(self, tokens: InstalledTokens) -> None:
        super().__init__()
        self.tokens = tokens

    def __call__(
        self,
        *,
        context: BoltContext,
        enterprise_id: str | None,
        team_id: str | None,
        user_id: str | None,
        actor_enterprise_id: str | None = None,
        actor_team_id: str | None = None,
        actor_user_id: str | None = None,
    ) -> AuthorizeResult | None:
        try:
            bot = self.tokens.fresh_bot(enterprise_id, team_id, context.is_enterprise_install)
        except SlackClientError as error:
            # A refresh Slack refused: the installation is unusable until it is reinstalled.
            log.error("cannot refresh the token of team %s: %s", team_id, error)
            return None
        if bot is None:
            log.warning("a request from team %s, which has no installation of alignbot", team_id)
            return None
        return AuthorizeResult(
            enterprise_id=enterprise_id,
            team_id=team_id,
            team=bot.team_name,
            bot_id=bot.bot_id,
            bot_user_id=bot.bot_user_id,
            bot_token=bot.bot_token,
            bot_scopes=bot.bot_scopes,
            user_id=user_id,
        )
