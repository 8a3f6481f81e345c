"""The Redis installation store keeps slack_sdk's contract: per workspace and per org, bots and
installers, latest and history, and deletes that leave nothing usable behind."""

from __future__ import annotations

import time

import redis
from slack_sdk.oauth.installation_store import Installation

from bot.installs.owner import Owner
from bot.installs.store import HISTORY_LIMIT, RedisInstallationStore
from bot.keys import UNINSTALLED_KEY


def installation(team: str | None, token: str, user: str = "U1", **extra: object) -> Installation:
    return Installation(
        app_id="A1",
        enterprise_id=extra.pop("enterprise_id", None),  # type: ignore[arg-type]
        team_id=team,
        bot_token=token,
        bot_id="B1",
        bot_user_id="UBOT",
        bot_scopes="chat:write,commands",
        user_id=user,
        installed_at=time.time(),
        **extra,  # type: ignore[arg-type]
    )


def test_bots_and_installations_are_kept_per_workspace(redis_client: redis.Redis) -> None:
    store = RedisInstallationStore(redis_client)
    store.save(installation("T1", "xoxb-one"))
    store.save(installation("T2", "xoxb-two"))

    one = store.find_bot(enterprise_id=None, team_id="T1")
    two = store.find_installation(enterprise_id=None, team_id="T2")
    assert (
        one is not None
        and one.bot_token == "xoxb-one"
        and one.bot_scopes
        == [
            "chat:write",
            "commands",
        ]
    )
    assert two is not None and two.bot_token == "xoxb-two" and two.user_id == "U1"
    assert store.find_bot(enterprise_id=None, team_id="T3") is None


def test_the_latest_wins_and_earlier_ones_are_history(redis_client: redis.Redis) -> None:
    store = RedisInstallationStore(redis_client)
    store.save(installation("T1", "xoxb-old", user="U1"))
    store.save(installation("T1", "xoxb-new", user="U2"))

    latest = store.find_installation(enterprise_id=None, team_id="T1")
    by_first = store.find_installation(enterprise_id=None, team_id="T1", user_id="U1")
    assert latest is not None and latest.user_id == "U2"
    # An older installer's record carries the latest bot token, never a stale one.
    assert by_first is not None and by_first.user_id == "U1" and by_first.bot_token == "xoxb-new"
    history = store.installation_history(Owner(None, "T1"))
    assert [i.bot_token for i in history] == ["xoxb-new", "xoxb-old"]
    assert [b.bot_token for b in store.bot_history(Owner(None, "T1"))] == ["xoxb-new", "xoxb-old"]


def test_history_is_capped(redis_client: redis.Redis) -> None:
    store = RedisInstallationStore(redis_client)
    for number in range(HISTORY_LIMIT + 5):
        store.save(installation("T1", f"xoxb-{number}"))

    assert len(store.installation_history(Owner(None, "T1"))) == HISTORY_LIMIT


def test_an_org_wide_install_is_found_for_the_org(redis_client: redis.Redis) -> None:
    store = RedisInstallationStore(redis_client)
    store.save(installation(None, "xoxb-org", enterprise_id="E1", is_enterprise_install=True))

    found = store.find_bot(enterprise_id="E1", team_id="T9", is_enterprise_install=True)
    assert found is not None and found.bot_token == "xoxb-org"
    # A workspace of the org with its own install would be looked up by its own id.
    assert store.find_bot(enterprise_id="E1", team_id="T9", is_enterprise_install=False) is None


def test_deletes_leave_no_token_of_the_workspace(redis_client: redis.Redis) -> None:
    store = RedisInstallationStore(redis_client)
    store.save(installation("T1", "xoxb-one", user="U1"))
    store.save(installation("T1", "xoxb-one", user="U2"))
    store.save(installation("T2", "xoxb-two"))

    store.delete_installation(enterprise_id=None, team_id="T1", user_id="U1")
    assert store.find_installation(enterprise_id=None, team_id="T1", user_id="U1") is None
    assert store.find_installation(enterprise_id=None, team_id="T1", user_id="U2") is not None

    store.delete_all(enterprise_id=None, team_id="T1")
    left = [str(key) for key in redis_client.scan_iter(match="*T1*")]
    assert left == []
    assert store.find_bot(enterprise_id=None, team_id="T2") is not None


def test_saving_takes_the_workspace_off_the_uninstalled_list(redis_client: redis.Redis) -> None:
    redis_client.zadd(UNINSTALLED_KEY, {Owner(None, "T1").marker(): 1.0})
    redis_client.zadd(UNINSTALLED_KEY, {Owner(None, "T2").marker(): 1.0})

    RedisInstallationStore(redis_client).save(installation("T1", "xoxb-one"))

    assert redis_client.zrange(UNINSTALLED_KEY, 0, -1) == [Owner(None, "T2").marker()]
