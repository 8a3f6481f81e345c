"""A local Slack Web API: a real HTTP server that answers the methods the bot calls like Slack.

Every call is recorded (method, params, headers). Messages posted are stored, so
``conversations.replies`` and ``chat.update`` behave; files registered by a test can be fetched
from their ``url_private`` with the bot token; uploads go through
``files.getUploadURLExternal`` -> POST -> ``files.completeUploadExternal``; answers stream
through ``chat.startStream`` / ``appendStream`` / ``stopStream`` (``tests.fakes.slack_streams``),
which ``refuse_streaming`` turns off as a workspace that does not allow them. Failures are served
on demand: an error for the next K calls of a method, or 429 with ``Retry-After``. Socket Mode
is served by :class:`SocketModeEndpoint` behind ``apps.connections.open``.

Many workspaces: every token belongs to one workspace (or one org, installed org-wide), and a
call is served as that workspace (``auth.test``, the ``team`` of messages, which messages a
thread holds). Installs go through ``/oauth/v2/authorize`` (the page an installer sees; here
it redirects at once, with a code, for the workspace the link names) and ``oauth.v2.access``
(the code grant, and the refresh grant when token rotation is on). A token that is unknown,
revoked or expired is refused as Slack refuses it: ``invalid_auth``, ``token_revoked``,
``token_expired``.
"""

from __future__ import annotations

import base64
import itertools
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.fakes.slack_limits import MARKDOWN_TOTAL_PREFIX, message_problems, view_problems
from tests.fakes.slack_socket_mode import SocketModeEndpoint
from tests.fakes.slack_streams import StreamMethods, StreamRecord, StreamRefusal

BOT_TOKEN = "xoxb-emulated-bot-token"
APP_TOKEN = "xapp-emulated-app-token"
TEAM_ID = "T0EMULATED"
BOT_USER_ID = "U0ALIGNBOT"
BOT_ID = "B0ALIGNBOT"
APP_ID = "A0EMULATED"
CLIENT_ID = "1111.2222"
CLIENT_SECRET = "emulated-client-secret"
# Slack's bot tokens with rotation on live 12 hours.
TOKEN_LIFETIME_SECONDS = 12 * 3600

# Methods that take no token: the app authenticates with its client id and secret.
CLIENT_METHODS = frozenset({"oauth.v2.access"})

# Methods called with the app-level token; all others need the bot token.
APP_TOKEN_METHODS = frozenset({"apps.connections.open"})


@dataclass(frozen=True)
class ApiCall:
    method: str
    params: dict[str, Any]
    headers: dict[str, str]  # names lower-cased
    status: int
    response: dict[str, Any]
    at: float = field(default_factory=time.monotonic)  # when the emulator answered
    # The workspace (or org) whose token made the call; None when the token was refused.
    team_id: str | None = None
    token: str | None = None

    @property
    def ok(self) -> bool:
        return self.status == 200 and bool(self.response.get("ok"))


@dataclass
class Workspace:
    """A workspace, or an org installed org-wide (``team_id`` is then the org's id)."""

    team_id: str
    name: str
    enterprise_id: str | None = None
    org_wide: bool = False
    bot_user_id: str = BOT_USER_ID
    bot_id: str = BOT_ID
    installer: str = "U0INSTALLER"


@dataclass
class IssuedToken:
    workspace: Workspace
    expires_at: float | None = None  # time.time(); None: never
    revoked: bool = False
    expired: bool = False  # forced by a test


@dataclass
class _PlannedFailure:
    remaining: int
    error: str | None = None  # Slack error code, answered with ok=false
    retry_after: int | None = None  # set: answer 429 with this Retry-After


@dataclass
class StoredFile:
    id: str
    name: str
    content: bytes
    mimetype: str = "text/csv"
    filetype: str = "csv"
    title: str = ""
    user: str = "U0PERSON1"
    channels: list[str] = field(default_factory=list)


class SlackApiError(Exception):
    def __init__(self, error: str, details: list[str] | None = None) -> None:
        super().__init__(error)
        self.error = error
        self.details = details or []


def _check_message_limits(text: Any, blocks: Any) -> None:
    """Refuse an over-limit message the way Slack does, naming each broken limit."""
    problems = message_problems(text, _json_value(blocks))
    if problems:
        if problems[0].startswith("message text"):
            raise SlackApiError("msg_too_long", problems)
        if any(problem.startswith(MARKDOWN_TOTAL_PREFIX) for problem in problems):
            raise SlackApiError("msg_blocks_too_long", problems)
        raise SlackApiError("invalid_blocks", problems)


def _page(items: list[Any], params: dict[str, Any], field: str) -> dict[str, Any]:
    """One page of ``items`` from ``cursor`` (an offset here; opaque to callers, as in Slack)."""
    start = int(params.get("cursor") or 0)
    limit = int(params.get("limit") or 100)
    end = start + limit
    next_cursor = str(end) if end < len(items) else ""
    return {field: items[start:end], "response_metadata": {"next_cursor": next_cursor}}


class SlackEmulator:
    """Start with ``with SlackEmulator() as slack:``; point the bot at ``slack.api_url``."""

    def __init__(
        self,
        bot_token: str = BOT_TOKEN,
        app_token: str = APP_TOKEN,
        team_id: str = TEAM_ID,
        bot_user_id: str = BOT_USER_ID,
        bot_id: str = BOT_ID,
    ) -> None:
        self.bot_token, self.app_token = bot_token, app_token
        self.team_id, self.bot_user_id, self.bot_id = team_id, bot_user_id, bot_id
        default = Workspace(team_id, "Emulated", bot_user_id=bot_user_id, bot_id=bot_id)
        self.workspaces: dict[str, Workspace] = {team_id: default}
        self.tokens: dict[str, IssuedToken] = {bot_token: IssuedToken(default)}
        # OAuth: where installers are sent back, codes and refresh tokens not yet used.
        self.redirect_url: str | None = None
        self.token_rotation = False
        self.token_lifetime_seconds = TOKEN_LIFETIME_SECONDS
        self._codes: dict[str, Workspace] = {}
        self._refresh_tokens: dict[str, Workspace] = {}
        self._caller = threading.local()
        self.calls: list[ApiCall] = []
        self.messages: list[dict[str, Any]] = []
        self.ephemerals: list[dict[str, Any]] = []
        self.views: dict[str, dict[str, Any]] = {}
        self.home_views: dict[str, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.socket_mode = SocketModeEndpoint(APP_ID)
        self._failures: dict[str, list[_PlannedFailure]] = {}
        self._used_triggers: set[str] = set()
        self._counter = itertools.count(1)
        self._changed = threading.Condition()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None
        self._methods: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update_message,
            "chat.postEphemeral": self._post_ephemeral,
            "chat.delete": self._delete_message,
            "views.open": self._views_open,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.list": self._conversations_list,
            "conversations.replies": self._conversations_replies,
            "conversations.history": self._conversations_history,
            "users.info": self._users_info,
            "files.info": self._files_info,
            "files.getUploadURLExternal": self._get_upload_url,
            "files.completeUploadExternal": self._complete_upload,
            "apps.connections.open": self._connections_open,
            "oauth.v2.access": self._oauth_access,
        }
        self.streams = StreamMethods(
            self.messages,
            self._changed,
            self._new_ts,
            {"user": bot_user_id, "bot_id": bot_id, "team": team_id},
            _json_value,
        )
        self._methods.update(self.streams.handlers())
        self._stream_refusal: str | None = None

    # ---- lifecycle

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        self.socket_mode.start()
        return self

    def stop(self) -> None:
        self.socket_mode.stop()
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/"

    # ---- set-up helpers for tests

    def fail_next(self, method: str, error: str, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with ``{"ok": false, "error": error}``."""
        with self._changed:
            self._failures.setdefault(method, []).append(_PlannedFailure(times, error=error))

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        """Answer the next ``times`` calls of ``method`` with 429 and ``Retry-After``."""
        with self._changed:
            self._failures.setdefault(method, []).append(
                _PlannedFailure(times, retry_after=retry_after)
            )

    def refuse_streaming(self, error: str = "method_not_supported") -> None:
        """Answer every chat streaming call with ``error``, as a workspace that refuses them."""
        self._stream_refusal = error

    def stream_records(self) -> list[StreamRecord]:
        """Every streamed message, in the order the streams started."""
        with self._changed:
            return list(self.streams.records.values())

    def add_file(self, file: StoredFile) -> dict[str, Any]:
        with self._changed:
            self.files[file.id] = file
        return self._file_json(file)

    def add_message(
        self, channel: str, text: str, user: str, thread_ts: str | None = None
    ) -> dict[str, Any]:
        """A message a person posted (not the bot), as Slack stores it; returns it."""
        message: dict[str, Any] = {
            "type": "message",
            "channel": channel,
            "text": text,
            "user": user,
            "team": self.team_id,
            "ts": self._new_ts(),
        }
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self._changed:
            self.messages.append(message)
        return message

    def add_user(self, user_id: str, name: str, **extra: Any) -> None:
        self.users[user_id] = {"id": user_id, "name": name, "real_name": name, **extra}

    def add_channel(self, channel_id: str, name: str, **extra: Any) -> None:
        self.channels[channel_id] = {"id": channel_id, "name": name, **extra}

    def reset(self) -> None:
        """Forget calls, messages and planned failures (between tests sharing one emulator)."""
        with self._changed:
            self.calls.clear()
            self.messages.clear()
            self.ephemerals.clear()
            self.views.clear()
            self.home_views.clear()
            self._failures.clear()
            self.streams.records.clear()
            self._stream_refusal = None
            self._used_triggers.clear()

    def add_workspace(
        self, team_id: str, name: str, enterprise_id: str | None = None, org_wide: bool = False
    ) -> Workspace:
        """A workspace people can install the app into (``org_wide``: an org, by its id)."""
        workspace = Workspace(team_id, name, enterprise_id, org_wide)
        self.workspaces[team_id] = workspace
        return workspace

    def tokens_of(self, team_id: str, live_only: bool = True) -> list[str]:
        """The tokens issued for a workspace, oldest first."""
        with self._changed:
            return [
                token
                for token, issued in self.tokens.items()
                if issued.workspace.team_id == team_id
                and (not live_only or self._refusal(issued) is None)
            ]

    def revoke_all(self, team_id: str) -> None:
        """What Slack does on uninstall: every token of the workspace stops working."""
        with self._changed:
            for issued in self.tokens.values():
                if issued.workspace.team_id == team_id:
                    issued.revoked = True

    def expire(self, token: str) -> None:
        """The token's time is up now (whatever its expiry said)."""
        with self._changed:
            self.tokens[token].expired = True

    # ---- queries

    def calls_to(self, method: str, ok_only: bool = False) -> list[ApiCall]:
        with self._changed:
            return [c for c in self.calls if c.method == method and (c.ok or not ok_only)]

    def wait_for(
        self,
        method: str,
        count: int = 1,
        timeout: float = 10,
        where: Callable[[ApiCall], bool] | None = None,
    ) -> list[ApiCall]:
        """Block until ``count`` successful calls of ``method`` (matching ``where``) arrived."""

        def matching() -> list[ApiCall]:
            return [
                c for c in self.calls if c.method == method and c.ok and (where is None or where(c))
            ]

        with self._changed:
            if not self._changed.wait_for(lambda: len(matching()) >= count, timeout):
                seen = [c.method for c in self.calls]
                raise AssertionError(
                    f"expected {count} successful {method} call(s) within {timeout}s; "
                    f"calls so far: {seen}"
                )
            return matching()

    def channel_messages(self, channel: str) -> list[dict[str, Any]]:
        with self._changed:
            return [m for m in self.messages if m["channel"] == channel]

    # ---- request handling

    def handle_api(
        self, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        status, extra_headers = 200, {}
        caller: Workspace | None = None
        # Recorded whether or not it is accepted, so a test sees which token was refused.
        token = _presented_token(params, headers) if method not in CLIENT_METHODS else None
        try:
            caller, _ = self._check_token(method, params, headers)
            self._caller.workspace = caller
            failure = self._take_failure(method)
            if failure is not None and failure.retry_after is not None:
                status, extra_headers = 429, {"Retry-After": str(failure.retry_after)}
                response: dict[str, Any] = {"ok": False, "error": "ratelimited"}
            elif failure is not None:
                response = {"ok": False, "error": failure.error}
            elif self._stream_refusal and method in self.streams.handlers():
                response = {"ok": False, "error": self._stream_refusal}
            elif method not in self._methods:
                response = {"ok": False, "error": "unknown_method"}
            else:
                response = {"ok": True, **self._methods[method](params)}
        except StreamRefusal as error:
            response = {"ok": False, "error": error.error}
        except SlackApiError as error:
            response = {"ok": False, "error": error.error}
            if error.details:
                response["errors"] = error.details
        finally:
            self._caller.workspace = None
        team = caller.team_id if caller is not None else None
        with self._changed:
            self.calls.append(
                ApiCall(method, params, headers, status, response, team_id=team, token=token)
            )
            self._changed.notify_all()
        return status, response, extra_headers

    def _check_token(
        self, method: str, params: dict[str, Any], headers: dict[str, str]
    ) -> tuple[Workspace | None, str | None]:
        if method in CLIENT_METHODS:
            self._check_client(params, headers)
            return None, None
        token = _presented_token(params, headers)
        if not token:
            raise SlackApiError("not_authed")
        if method in APP_TOKEN_METHODS:
            if token != self.app_token:
                raise SlackApiError("invalid_auth")
            return None, token
        with self._changed:
            issued = self.tokens.get(str(token))
            refusal = "invalid_auth" if issued is None else self._refusal(issued)
        if refusal is not None or issued is None:
            raise SlackApiError(refusal or "invalid_auth")
        return issued.workspace, str(token)

    @staticmethod
    def _refusal(issued: IssuedToken) -> str | None:
        if issued.revoked:
            return "token_revoked"
        if issued.expired or (issued.expires_at is not None and issued.expires_at <= time.time()):
            return "token_expired"
        return None

    def _check_client(self, params: dict[str, Any], headers: dict[str, str]) -> None:
        """The app's credentials, as HTTP Basic auth or as parameters."""
        client_id, client_secret = params.get("client_id"), params.get("client_secret")
        auth = headers.get("authorization", "")
        if auth.startswith("Basic "):
            decoded = base64.b64decode(auth.removeprefix("Basic ")).decode()
            client_id, _, client_secret = decoded.partition(":")
        if client_id != CLIENT_ID:
            raise SlackApiError("invalid_client_id")
        if client_secret != CLIENT_SECRET:
            raise SlackApiError("bad_client_secret")

    @property
    def caller(self) -> Workspace:
        """The workspace of the call being served."""
        found = getattr(self._caller, "workspace", None)
        return found if found is not None else self.workspaces[self.team_id]

    def _take_failure(self, method: str) -> _PlannedFailure | None:
        with self._changed:
            planned = self._failures.get(method) or []
            if not planned:
                return None
            failure = planned[0]
            failure.remaining -= 1
            if failure.remaining <= 0:
                planned.pop(0)
            return failure

    def _new_ts(self) -> str:
        # Unique and increasing, shaped like Slack's "seconds.micro" timestamps.
        return f"{int(time.time())}.{next(self._counter):06d}"

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._counter):08d}"

    # ---- methods

    def _auth_test(self, params: dict[str, Any]) -> dict[str, Any]:
        caller = self.caller
        return {
            "url": "https://emulated.slack.test/",
            "team": caller.name,
            "user": "alignbot",
            "team_id": None if caller.org_wide else caller.team_id,
            "enterprise_id": caller.enterprise_id,
            "user_id": caller.bot_user_id,
            "bot_id": caller.bot_id,
            "is_enterprise_install": caller.org_wide,
        }

    # ---- installing (OAuth)

    def authorize(self, query: dict[str, str]) -> tuple[int, dict[str, str]]:
        """The installer's visit to ``/oauth/v2/authorize``: straight back to the redirect URL
        with a code for the workspace ``team`` names (``deny=1``: the installer cancelled)."""
        target = query.get("redirect_uri") or self.redirect_url
        if query.get("client_id") != CLIENT_ID or not target:
            return 400, {}
        state = query.get("state", "")
        if query.get("deny"):
            denied = urlencode({"error": "access_denied", "state": state})
            return 302, {"Location": f"{target}?{denied}"}
        workspace = self.workspaces.get(query.get("team") or self.team_id)
        if workspace is None:
            return 400, {}
        code = f"code-{next(self._counter)}"
        with self._changed:
            self._codes[code] = workspace
        return 302, {"Location": f"{target}?{urlencode({'code': code, 'state': state})}"}

    def _oauth_access(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._changed:
            if params.get("grant_type") == "refresh_token":
                # A refresh token works once; the answer carries the next one.
                workspace = self._refresh_tokens.pop(str(params.get("refresh_token")), None)
                if workspace is None:
                    raise SlackApiError("invalid_refresh_token")
                return self._grant(workspace)
            workspace = self._codes.pop(str(params.get("code")), None)
            if workspace is None:
                raise SlackApiError("invalid_code")
            team = None if workspace.org_wide else {"id": workspace.team_id, "name": workspace.name}
            enterprise = (
                {"id": workspace.enterprise_id, "name": "Emulated Org"}
                if workspace.enterprise_id
                else None
            )
            return {
                **self._grant(workspace),
                "scope": str(params.get("scope") or "commands,chat:write"),
                "bot_user_id": workspace.bot_user_id,
                "app_id": APP_ID,
                "team": team,
                "enterprise": enterprise,
                "is_enterprise_install": workspace.org_wide,
                "authed_user": {"id": workspace.installer},
            }

    def _grant(self, workspace: Workspace) -> dict[str, Any]:
        number = next(self._counter)
        prefix = "xoxe.xoxb-1" if self.token_rotation else "xoxb"
        token = f"{prefix}-{workspace.team_id}-{number}"
        granted: dict[str, Any] = {"access_token": token, "token_type": "bot"}
        issued = IssuedToken(workspace)
        if self.token_rotation:
            refresh = f"xoxe-1-{workspace.team_id}-{number}"
            self._refresh_tokens[refresh] = workspace
            issued.expires_at = time.time() + self.token_lifetime_seconds
            granted.update(refresh_token=refresh, expires_in=self.token_lifetime_seconds)
        self.tokens[token] = issued
        return granted

    def _message_body(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            raise SlackApiError("channel_not_found")
        if not (params.get("text") or params.get("blocks") or params.get("attachments")):
            raise SlackApiError("no_text")
        _check_message_limits(params.get("text"), params.get("blocks"))
        body: dict[str, Any] = {"type": "message", "channel": channel, "text": params.get("text")}
        for name in ("blocks", "attachments", "metadata"):
            if params.get(name) is not None:
                body[name] = _json_value(params[name])
        return body

    def _post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message_body(params)
        ts = self._new_ts()
        caller = self.caller
        message.update(ts=ts, user=caller.bot_user_id, bot_id=caller.bot_id, team=caller.team_id)
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        with self._changed:
            self.messages.append(message)
        return {"channel": message["channel"], "ts": ts, "message": message}

    def _find_message(self, channel: str | None, ts: str | None) -> dict[str, Any]:
        for message in self.messages:
            if message["channel"] == channel and message["ts"] == ts:
                return message
        raise SlackApiError("message_not_found")

    def _update_message(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._changed:
            message = self._find_message(params.get("channel"), params.get("ts"))
            _check_message_limits(params.get("text"), params.get("blocks"))
            for name in ("text", "blocks", "attachments", "metadata"):
                if params.get(name) is not None:
                    message[name] = _json_value(params[name])
            message["edited"] = {"user": self.bot_user_id, "ts": self._new_ts()}
        return {"channel": message["channel"], "ts": message["ts"], "text": message.get("text")}

    def _post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._message_body(params)
        if not params.get("user"):
            raise SlackApiError("user_not_found")
        message.update(user=params["user"], ts=self._new_ts())
        if params.get("thread_ts"):
            message["thread_ts"] = params["thread_ts"]
        with self._changed:
            self.ephemerals.append(message)
        return {"message_ts": message["ts"]}

    def _delete_message(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._changed:
            message = self._find_message(params.get("channel"), params.get("ts"))
            self.messages.remove(message)
        return {"channel": message["channel"], "ts": message["ts"]}

    def _view_record(self, view: Any, view_id: str) -> dict[str, Any]:
        view = _json_value(view)
        if not isinstance(view, dict) or "type" not in view:
            raise SlackApiError("invalid_arguments")
        problems = view_problems(view)
        if problems:
            raise SlackApiError("invalid_arguments", problems)
        return {**view, "id": view_id, "hash": self._new_ts(), "team_id": self.team_id}

    def _views_open(self, params: dict[str, Any]) -> dict[str, Any]:
        trigger = params.get("trigger_id")
        if not trigger:
            raise SlackApiError("invalid_trigger_id")
        record = self._view_record(params.get("view"), self._new_id("V"))
        with self._changed:
            # Like Slack, a trigger opens one view: a second views.open with it is refused.
            if trigger in self._used_triggers:
                raise SlackApiError("exchanged_trigger_id")
            self._used_triggers.add(str(trigger))
            self.views[record["id"]] = record
        return {"view": record}

    def _views_update(self, params: dict[str, Any]) -> dict[str, Any]:
        with self._changed:
            view_id = params.get("view_id")
            if not view_id and params.get("external_id"):
                view_id = next(
                    (
                        i
                        for i, v in self.views.items()
                        if v.get("external_id") == params["external_id"]
                    ),
                    None,
                )
            if view_id not in self.views:
                raise SlackApiError("not_found")
            record = self._view_record(params.get("view"), str(view_id))
            self.views[record["id"]] = record
        return {"view": record}

    def _views_publish(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user_id")
        if not user_id:
            raise SlackApiError("invalid_arguments")
        record = self._view_record(params.get("view"), self._new_id("V"))
        with self._changed:
            self.home_views[user_id] = record
        return {"view": record}

    def _conversations_info(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = params.get("channel")
        if not channel:
            raise SlackApiError("channel_not_found")
        known = self.channels.get(channel, {"id": channel, "name": f"channel-{channel.lower()}"})
        return {"channel": {"is_channel": True, "is_member": True, **known}}

    def _conversations_members(self, params: dict[str, Any]) -> dict[str, Any]:
        """Like Slack: the ids of a channel's members (``add_channel(..., members=[...])``), a
        page of ``limit`` at a time with an opaque cursor; unknown channels are not found."""
        known = self.channels.get(str(params.get("channel") or ""))
        if known is None:
            raise SlackApiError("channel_not_found")
        return _page(list(known.get("members", [])), params, "members")

    def _conversations_list(self, params: dict[str, Any]) -> dict[str, Any]:
        """Like Slack: public channels unless ``types`` asks for private ones too, paged."""
        types = str(params.get("types") or "public_channel").split(",")
        found = [
            {key: value for key, value in channel.items() if key != "members"}
            for channel in self.channels.values()
            if ("private_channel" if channel.get("is_private") else "public_channel") in types
        ]
        return _page(found, params, "channels")

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel, ts = params.get("channel"), params.get("ts")
        with self._changed:
            thread = [
                dict(m)
                for m in self.messages
                if m["channel"] == channel and (m["ts"] == ts or m.get("thread_ts") == ts)
            ]
        thread = [m for m in thread if self._visible(m)]
        if not thread:
            raise SlackApiError("thread_not_found")
        thread.sort(key=lambda m: tuple(int(p) for p in m["ts"].split(".")))
        # Slack returns message metadata only to callers that ask for it.
        if str(params.get("include_all_metadata", "")).lower() not in ("1", "true"):
            for message in thread:
                message.pop("metadata", None)
        return {"messages": thread, "has_more": False}

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        """Like Slack: newest first; replies only when also sent to the channel; ``oldest`` and
        ``latest`` exclusive; message metadata only with ``include_all_metadata``; no paging."""
        channel = params.get("channel")
        if not channel:
            raise SlackApiError("channel_not_found")
        oldest = _ts_key(str(params.get("oldest") or "0"))
        latest = _ts_key(str(params["latest"])) if params.get("latest") else None
        with_metadata = str(params.get("include_all_metadata", "")).lower() in ("1", "true")
        with self._changed:
            listed = [
                dict(m)
                for m in self.messages
                if m["channel"] == channel
                and (
                    m.get("thread_ts") in (None, m["ts"]) or m.get("subtype") == "thread_broadcast"
                )
                and _ts_key(m["ts"]) > oldest
                and (latest is None or _ts_key(m["ts"]) < latest)
            ]
        listed = [m for m in listed if self._visible(m)]
        listed.sort(key=lambda m: _ts_key(m["ts"]), reverse=True)
        if not with_metadata:
            for message in listed:
                message.pop("metadata", None)
        return {"messages": listed, "has_more": False}

    def _visible(self, message: dict[str, Any]) -> bool:
        """A workspace reads its own messages (and those a test stored without a team)."""
        return message.get("team") in (None, self.caller.team_id)

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user_id = params.get("user")
        if not user_id:
            raise SlackApiError("user_not_found")
        known = self.users.get(user_id, {"id": user_id, "name": user_id.lower()})
        return {"user": {"team_id": self.caller.team_id, "is_bot": False, "tz": "UTC", **known}}

    def _file_json(self, file: StoredFile) -> dict[str, Any]:
        return {
            "id": file.id,
            "name": file.name,
            "title": file.title or file.name,
            "mimetype": file.mimetype,
            "filetype": file.filetype,
            "size": len(file.content),
            "user": file.user,
            "channels": list(file.channels),
            "url_private": f"{self.base_url}/files/{file.id}/{file.name}",
            "url_private_download": f"{self.base_url}/files/{file.id}/download/{file.name}",
        }

    def _files_info(self, params: dict[str, Any]) -> dict[str, Any]:
        file = self.files.get(str(params.get("file")))
        if file is None:
            raise SlackApiError("file_not_found")
        return {"file": self._file_json(file)}

    def _get_upload_url(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("filename") or not str(params.get("length", "")).isdigit():
            raise SlackApiError("invalid_arguments")
        file = StoredFile(
            id=self._new_id("F"), name=str(params["filename"]), content=b"", user=self.bot_user_id
        )
        with self._changed:
            self.files[file.id] = file
        return {"upload_url": f"{self.base_url}/upload/{file.id}", "file_id": file.id}

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        with self._changed:
            if file_id not in self.files:
                return False
            self.files[file_id].content = content
            return True

    def _complete_upload(self, params: dict[str, Any]) -> dict[str, Any]:
        listed = _json_value(params.get("files"))
        if not isinstance(listed, list) or not listed:
            raise SlackApiError("invalid_arguments")
        done = []
        channel = params.get("channel_id") or params.get("channels")
        for entry in listed:
            file = self.files.get(entry.get("id"))
            if file is None:
                raise SlackApiError("file_not_found")
            file.title = entry.get("title") or file.name
            if channel:
                file.channels.append(str(channel))
            done.append(self._file_json(file))
        if channel:
            message: dict[str, Any] = {
                "type": "message",
                "subtype": "file_share",
                "channel": str(channel),
                "text": params.get("initial_comment", ""),
                "files": done,
                "ts": self._new_ts(),
                "user": self.caller.bot_user_id,
                "team": self.caller.team_id,
            }
            if params.get("thread_ts"):
                message["thread_ts"] = params["thread_ts"]
            with self._changed:
                self.messages.append(message)
        return {"files": done}

    def _connections_open(self, params: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.socket_mode.url}

    def download(self, file_id: str, authorization: str) -> bytes | None:
        """The bytes of a file for ``url_private``, or None without a live bot token."""
        with self._changed:
            issued = self.tokens.get(authorization.removeprefix("Bearer "))
            if issued is None or self._refusal(issued) is not None:
                return None
        file = self.files.get(file_id)
        return file.content if file else None


def _presented_token(params: dict[str, Any], headers: dict[str, str]) -> str | None:
    auth = headers.get("authorization", "")
    token = auth.removeprefix("Bearer ").strip() if auth else params.get("token")
    return str(token) if token else None


def _ts_key(ts: str) -> tuple[int, int]:
    """A Slack ts ("seconds.micro") as numbers, so that ts compare in time order."""
    seconds, _, micro = ts.partition(".")
    return int(seconds), int(micro.ljust(6, "0")[:6] or 0)


def _json_value(value: Any) -> Any:
    """Form-encoded calls send blocks/metadata as JSON text; JSON calls send them as objects."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _handler_for(emulator: SlackEmulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass  # keep test output quiet

        def _send(self, status: int, body: bytes, content_type: str, **headers: str) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def _body(self) -> bytes:
            length = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(length) if length else b""

        def _api(self, params: dict[str, Any]) -> None:
            method = urlsplit(self.path).path.removeprefix("/api/")
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, response, extra = emulator.handle_api(method, params, headers)
            self._send(status, json.dumps(response).encode(), "application/json", **extra)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if url.path.startswith("/api/"):
                self._api(dict(parse_qsl(url.query)))
            elif url.path == "/oauth/v2/authorize":
                status, headers = emulator.authorize(dict(parse_qsl(url.query)))
                self._send(status, b"", "text/plain", **headers)
            elif url.path.startswith("/files/"):
                file_id = url.path.split("/")[2]
                content = emulator.download(file_id, self.headers.get("Authorization", ""))
                if content is None:
                    self._send(403, b"not allowed", "text/plain")
                else:
                    self._send(200, content, "application/octet-stream")
            else:
                self._send(404, b"not found", "text/plain")

        def do_POST(self) -> None:
            url = urlsplit(self.path)
            body = self._body()
            if url.path.startswith("/upload/"):
                stored = emulator.receive_upload(url.path.split("/")[2], body)
                self._send(200 if stored else 404, f"OK - {len(body)}".encode(), "text/plain")
                return
            if not url.path.startswith("/api/"):
                self._send(404, b"not found", "text/plain")
                return
            params: dict[str, Any] = dict(parse_qsl(url.query))
            content_type = self.headers.get("Content-Type", "")
            if "json" in content_type and body:
                params.update(json.loads(body))
            elif body:
                params.update(parse_qsl(body.decode(), keep_blank_values=True))
            self._api(params)

    return Handler
