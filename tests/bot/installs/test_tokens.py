"""The token resolver against the emulator: tokens near expiry are refreshed before use, by one
process at a time; an uninstalled workspace has none; single-token mode hands out its one."""

from __future__ import annotations

import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import redis
from slack_sdk import WebClient
from slack_sdk.oauth.installation_store import Installation
from slack_sdk.oauth.token_rotation import TokenRotator

from bot.installs.client import client_for
from bot.installs.store import RedisInstallationStore
from bot.installs.tokens import InstalledTokens, SingleToken, WorkspaceNotInstalled
from bot.keys import Workspace
from tests.fakes.slack_emulator import CLIENT_ID, CLIENT_SECRET, SlackEmulator

TEAM = "T0ROTATE"


def installed(slack: SlackEmulator, store: RedisInstallationStore) -> str:
    """Install ``TEAM`` through the code grant; returns its first token."""
    slack.add_workspace(TEAM, "Rotate")
    _, headers = slack.authorize(
        {"client_id": CLIENT_ID, "team": TEAM, "state": "s", "redirect_uri": "http://bot/cb"}
    )
    code = parse_qs(urlsplit(headers["Location"]).query)["code"][0]
    granted = WebClient(base_url=slack.api_url).oauth_v2_access(
        client_id=CLIENT_ID, client_secret=CLIENT_SECRET, code=code
    )
    store.save(
        Installation(
            team_id=TEAM,
            bot_token=granted["access_token"],
            bot_refresh_token=granted.get("refresh_token"),
            bot_token_expires_in=granted.get("expires_in"),
            bot_id="B1",
            bot_user_id=granted["bot_user_id"],
            user_id="U1",
            installed_at=time.time(),
        )
    )
    return str(granted["access_token"])


def resolver(slack: SlackEmulator, store: RedisInstallationStore) -> InstalledTokens:
    rotator = TokenRotator(
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        client=WebClient(base_url=slack.api_url),
    )
    return InstalledTokens(store, rotator)


def refresh_grants(slack: SlackEmulator) -> int:
    return len(
        [
            call
            for call in slack.calls_to("oauth.v2.access", ok_only=True)
            if call.params.get("grant_type") == "refresh_token"
        ]
    )


def test_a_token_near_its_expiry_is_refreshed_before_it_is_used(
    slack: SlackEmulator, redis_client: redis.Redis
) -> None:
    slack.token_rotation = True
    slack.token_lifetime_seconds = 60  # well inside the refresh margin
    store = RedisInstallationStore(redis_client)
    first = installed(slack, store)
    tokens = resolver(slack, store)

    token = tokens.bot_token(Workspace(TEAM))

    assert token != first and refresh_grants(slack) == 1
    client = client_for(tokens, Workspace(TEAM), WebClient(base_url=slack.api_url))
    slack.token_lifetime_seconds = 12 * 3600  # the next refresh gives a long-lived token
    assert client.auth_test()["team_id"] == TEAM
    assert slack.calls_to("auth.test")[-1].token != first


def test_many_threads_needing_a_refresh_spend_the_refresh_token_once(
    slack: SlackEmulator, redis_client: redis.Redis
) -> None:
    slack.token_rotation = True
    store = RedisInstallationStore(redis_client)
    installed(slack, store)
    slack.token_lifetime_seconds = 12 * 3600
    # The stored token is about to expire, as far as the bot knows.
    bot = store.find_bot(enterprise_id=None, team_id=TEAM)
    assert bot is not None
    bot.bot_token_expires_at = int(time.time()) + 30
    store.save_bot(bot)
    tokens = resolver(slack, store)
    seen: list[str] = []
    start = threading.Barrier(6)

    def ask() -> None:
        start.wait()
        seen.append(tokens.bot_token(Workspace(TEAM)))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert refresh_grants(slack) == 1
    assert len(set(seen)) == 1 and seen[0] in slack.tokens_of(TEAM)


def test_an_expired_token_is_replaced_once_slack_says_so(
    slack: SlackEmulator, redis_client: redis.Redis
) -> None:
    slack.token_rotation = True
    store = RedisInstallationStore(redis_client)
    first = installed(slack, store)
    tokens = resolver(slack, store)
    client = client_for(tokens, Workspace(TEAM), WebClient(base_url=slack.api_url))
    slack.expire(first)

    assert client.auth_test()["team_id"] == TEAM

    assert [c.response.get("error") for c in slack.calls_to("auth.test")] == ["token_expired", None]
    assert refresh_grants(slack) == 1


def test_no_installation_no_token(slack: SlackEmulator, redis_client: redis.Redis) -> None:
    tokens = resolver(slack, RedisInstallationStore(redis_client))

    with pytest.raises(WorkspaceNotInstalled):
        tokens.bot_token(Workspace("T0NOBODY"))


def test_single_token_mode_hands_out_its_one_token() -> None:
    tokens = SingleToken("xoxb-only")

    assert tokens.bot_token(Workspace("T1")) == tokens.bot_token(Workspace("T2")) == "xoxb-only"
