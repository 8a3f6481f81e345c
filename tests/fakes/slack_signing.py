"""Requests shaped and signed like the ones Slack sends: events, slash commands, interactions.

Each builder returns a :class:`SlackRequest` (raw body, headers); ``send`` posts it to the bot
over real HTTP and returns the status and body, whatever the status.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from tests.fakes.slack_emulator import APP_ID, TEAM_ID

SIGNING_SECRET = "emulated-signing-secret"
_ids = itertools.count(1)


def signature(secret: str, timestamp: str, body: str) -> str:
    digest = hmac.new(secret.encode(), f"v0:{timestamp}:{body}".encode(), hashlib.sha256)
    return f"v0={digest.hexdigest()}"


@dataclass(frozen=True)
class SlackRequest:
    body: str
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    body: str
    headers: dict[str, str]


def send(url: str, request: SlackRequest, timeout: float = 10) -> HttpAnswer:
    http_request = urllib.request.Request(
        url, data=request.body.encode(), headers=request.headers, method="POST"
    )
    try:
        with urllib.request.urlopen(http_request, timeout=timeout) as response:
            return HttpAnswer(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, error.read().decode(), dict(error.headers))


class SlackSigner:
    """Builds signed requests for one workspace; ``secret`` must match the bot's setting."""

    def __init__(
        self, secret: str = SIGNING_SECRET, team_id: str = TEAM_ID, enterprise_id: str | None = None
    ) -> None:
        self.secret, self.team_id, self.enterprise_id = secret, team_id, enterprise_id

    def signed(
        self,
        body: str,
        content_type: str,
        timestamp: int | None = None,
        retry_num: int | None = None,
        secret: str | None = None,
    ) -> SlackRequest:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": ts,
            "X-Slack-Signature": signature(secret or self.secret, ts, body),
        }
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = "http_timeout"
        return SlackRequest(body, headers)

    def event_body(self, event: dict[str, Any], event_id: str | None = None) -> dict[str, Any]:
        body: dict[str, Any] = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "api_app_id": APP_ID,
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{next(_ids):010d}",
            "event_time": int(time.time()),
            "authorizations": [
                {
                    "enterprise_id": self.enterprise_id,
                    "team_id": self.team_id,
                    "user_id": "U0ALIGNBOT",
                    "is_bot": True,
                    "is_enterprise_install": False,
                }
            ],
        }
        if self.enterprise_id:
            body["enterprise_id"] = self.enterprise_id
        return body

    def event(
        self,
        event: dict[str, Any],
        event_id: str | None = None,
        retry_num: int | None = None,
        **signing: Any,
    ) -> SlackRequest:
        body = json.dumps(self.event_body(event, event_id))
        return self.signed(body, "application/json", retry_num=retry_num, **signing)

    def command_body(
        self,
        text: str,
        command: str = "/align",
        user_id: str = "U0PERSON1",
        channel_id: str = "C0GENERAL",
    ) -> dict[str, str]:
        body = {
            "token": "legacy-verification-token",
            "team_id": self.team_id,
            "team_domain": "emulated",
            "channel_id": channel_id,
            "channel_name": "general",
            "user_id": user_id,
            "user_name": user_id.lower(),
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "response_url": "https://hooks.slack.test/commands/T/1/x",
            "trigger_id": f"{next(_ids)}.trigger",
        }
        if self.enterprise_id:
            body["enterprise_id"] = self.enterprise_id
        return body

    def command(self, text: str, **fields: Any) -> SlackRequest:
        signing = {k: fields.pop(k) for k in ("timestamp", "secret") if k in fields}
        body = urlencode(self.command_body(text, **fields))
        return self.signed(body, "application/x-www-form-urlencoded", **signing)

    def interaction_payload(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Fill in the team/user/app fields every interactivity payload carries."""
        team: dict[str, Any] = {"id": self.team_id, "domain": "emulated"}
        if self.enterprise_id:
            team["enterprise_id"] = self.enterprise_id
        return {
            "team": team,
            "user": {"id": "U0PERSON1", "team_id": self.team_id},
            "api_app_id": APP_ID,
            "token": "legacy-verification-token",
            "trigger_id": f"{next(_ids)}.trigger",
            **payload,
        }

    def interaction(self, payload: dict[str, Any], **signing: Any) -> SlackRequest:
        body = urlencode({"payload": json.dumps(self.interaction_payload(payload))})
        return self.signed(body, "application/x-www-form-urlencoded", **signing)
