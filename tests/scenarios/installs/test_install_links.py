"""Install links over HTTP: each works once, only while fresh, only in the browser that asked
for it, and every failure says what happened and how to start again."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlencode, urlsplit

from bot.installs.state import STATE_SECONDS, RedisOAuthStateStore
from bot.services import Services
from tests.fakes.bot_harness import InProcessBot
from tests.fakes.installer import authorize, fetch, install, start
from tests.scenarios.installs.conftest import ALPHA
from tests.scenarios.labelers.support import FileSlack


def with_state(redirect: str, state: str) -> str:
    url = urlsplit(redirect)
    query = {name: values[0] for name, values in parse_qs(url.query).items()}
    return url._replace(query=urlencode({**query, "state": state})).geturl()


def test_a_used_link_is_refused_and_installs_nothing_more(
    bot: InProcessBot, slack: FileSlack, services: Services
) -> None:
    first = install(bot.base_url, ALPHA)
    assert first.page.status == 200

    replayed = fetch(first.redirect, {"Cookie": first.cookie})

    assert replayed.status == 401
    assert "expired or was already used" in replayed.body
    assert "/slack/install" in replayed.body
    assert len(slack.tokens_of(ALPHA)) == 1
    assert len(slack.calls_to("oauth.v2.access")) == 1  # the code was never spent again


def test_an_expired_link_is_refused(
    bot: InProcessBot, slack: FileSlack, services: Services
) -> None:
    authorize_url, cookie = start(bot.base_url, ALPHA)
    redirect = authorize(authorize_url)
    assert bot.app.oauth_flow is not None
    store = bot.app.oauth_flow.settings.state_store
    assert isinstance(store, RedisOAuthStateStore)
    store.clock = lambda: time.time() + STATE_SECONDS + 1  # the installer came back too late

    late = fetch(redirect, {"Cookie": cookie})

    assert late.status == 401 and "expired or was already used" in late.body
    assert slack.tokens_of(ALPHA) == []
    assert services.installations.find_bot(enterprise_id=None, team_id=ALPHA) is None


def test_a_forged_state_or_another_browser_is_refused(
    bot: InProcessBot, slack: FileSlack, services: Services
) -> None:
    authorize_url, cookie = start(bot.base_url, ALPHA)
    redirect = authorize(authorize_url)
    state = parse_qs(urlsplit(redirect).query)["state"][0]
    issued, nonce, _ = state.split(".")
    forged = f"{issued}.{nonce}.{'0' * 64}"

    other_browser = fetch(redirect)  # no install cookie
    tampered = fetch(with_state(redirect, forged), {"Cookie": f"slack-app-oauth-state={forged}"})

    assert other_browser.status == 400 and "did not start the installation" in other_browser.body
    assert tampered.status == 401
    assert slack.tokens_of(ALPHA) == []
    # The real state is still good for the browser that asked for it.
    assert fetch(redirect, {"Cookie": cookie}).status == 200
    assert len(slack.tokens_of(ALPHA)) == 1


def test_a_cancelled_install_says_so(bot: InProcessBot, slack: FileSlack) -> None:
    authorize_url, cookie = start(bot.base_url, ALPHA)
    redirect = authorize(authorize_url, deny="1")

    page = fetch(redirect, {"Cookie": cookie})

    assert page.status == 200 and "cancelled in Slack" in page.body
    assert slack.tokens_of(ALPHA) == []
