"""A Slack client for one workspace that asks the token resolver before every call.

Jobs outlive tokens: a training step can run for hours, and a token rotated meanwhile must
not stop it. So the token is not fixed when the client is made: each call asks the resolver
(which refreshes a token close to expiry), and a call Slack answers ``token_expired`` is made
once more with a refreshed token.
"""

from __future__ import annotations

from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from bot.installs.tokens import TokenResolver
from bot.keys import Workspace

EXPIRED = "token_expired"


class WorkspaceClient(WebClient):
    def __init__(self, tokens: TokenResolver, workspace: Workspace, **client_options: Any) -> None:
        super().__init__(token=None, **client_options)
        self.tokens = tokens
        self.workspace = workspace

    def api_call(
        self,
        api_method: str,
        *,
        headers: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> SlackResponse:
        token = self.tokens.bot_token(self.workspace)
        try:
            return self._call(token, api_method, headers, kwargs)
        except SlackApiError as error:
            if error.response is None or error.response.get("error") != EXPIRED:
                raise
            fresh = self.tokens.refresh(self.workspace, token)
            if fresh == token:
                raise
            return self._call(fresh, api_method, headers, kwargs)

    def _call(
        self, token: str, api_method: str, headers: dict[str, str] | None, kwargs: dict[str, Any]
    ) -> SlackResponse:
        # The token goes in this call's own headers: the client is shared by threads.
        own = {**(headers or {}), "Authorization": f"Bearer {token}"}
        return super().api_call(api_method, headers=own, **kwargs)


def client_for(tokens: TokenResolver, workspace: Workspace, like: WebClient) -> WorkspaceClient:
    """A client for ``workspace`` with ``like``'s API URL, timeout and retry handlers."""
    return WorkspaceClient(
        tokens,
        workspace,
        base_url=like.base_url,
        timeout=like.timeout,
        retry_handlers=list(like.retry_handlers),
        logger=like.logger,
    )
