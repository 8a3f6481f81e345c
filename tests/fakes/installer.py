"""An installer's browser going through the OAuth flow: the bot's install page, Slack's
authorize page (the emulator's, which sends them straight back with a code), the bot's
redirect URL. Cookies are carried by hand, as the install cookie is marked Secure and a
cookie jar would not send it over plain HTTP."""

from __future__ import annotations

import html
import re
import urllib.error
import urllib.request
from dataclasses import dataclass

from tests.fakes.slack_signing import HttpAnswer

AUTHORIZE_LINK = re.compile(r'href="([^"]*/oauth/v2/authorize[^"]*)"')


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirects)


def fetch(url: str, headers: dict[str, str] | None = None, timeout: float = 10) -> HttpAnswer:
    """GET ``url`` without following redirects; any status comes back as an answer."""
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with _opener.open(request, timeout=timeout) as response:
            return HttpAnswer(response.status, response.read().decode(), dict(response.headers))
    except urllib.error.HTTPError as error:
        return HttpAnswer(error.code, error.read().decode(), dict(error.headers))


def header(answer: HttpAnswer, name: str) -> str:
    """A response header, whatever case the server spelled its name in."""
    found = [value for key, value in answer.headers.items() if key.lower() == name.lower()]
    return found[0] if found else ""


@dataclass
class Visit:
    """One pass through the flow: the redirect URL Slack sent the installer back to, the
    cookie the install page set, and the bot's final page."""

    redirect: str
    cookie: str
    page: HttpAnswer


def start(bot_url: str, team: str) -> tuple[str, str]:
    """The install page: returns (the authorize URL it links to, the cookie it sets)."""
    page = fetch(f"{bot_url}/slack/install?team={team}")
    assert page.status == 200, page
    found = AUTHORIZE_LINK.search(page.body)
    assert found is not None, page.body
    cookie = header(page, "Set-Cookie").split(";", 1)[0]
    assert cookie.startswith("slack-app-oauth-state="), page.headers
    return html.unescape(found.group(1)), cookie


def authorize(authorize_url: str, **extra: str) -> str:
    """Slack's authorize page: returns where it sends the installer back to."""
    query = "".join(f"&{name}={value}" for name, value in extra.items())
    answer = fetch(authorize_url + query)
    assert answer.status == 302, answer
    return header(answer, "Location")


def install(bot_url: str, team: str) -> Visit:
    """The whole flow for ``team``, in one browser."""
    authorize_url, cookie = start(bot_url, team)
    redirect = authorize(authorize_url)
    return Visit(redirect, cookie, fetch(redirect, {"Cookie": cookie}))
