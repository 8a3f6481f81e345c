"""Calling the prompt API's WSGI app directly, as the HTTP server would."""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import Any

from bot.api.routes import PromptApi


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    def json(self) -> Any:
        return json.loads(self.body)


def call(
    api: PromptApi,
    path: str,
    query: str = "",
    key: str | None = None,
    method: str = "GET",
    **headers: str,
) -> Answer:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "wsgi.input": io.BytesIO(b""),
    }
    if key is not None:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {key}"
    for name, value in headers.items():
        environ["HTTP_" + name.upper()] = value
    answer = Answer(0)

    def start_response(status: str, response_headers: list[tuple[str, str]]) -> None:
        answer.status = int(status.split()[0])
        answer.headers = dict(response_headers)

    answer.body = b"".join(api(environ, start_response))  # type: ignore[arg-type]
    return answer
