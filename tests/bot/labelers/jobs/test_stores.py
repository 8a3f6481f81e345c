"""The labeler store (name space shared with prompts, append-only versions, notification
settings) and the Redis response cache."""

from __future__ import annotations

import pytest
import redis

from alignment._labeler.types import LabelerAttribute, LabelerCheckpoint
from bot.keys import Workspace
from bot.labelers.jobs.response_cache import RedisResponseCache
from bot.labelers.store import (
    CheckpointVersion,
    LabelerNameTakenError,
    LabelerStore,
    LabelerStoreError,
    NotificationSettings,
    UnknownLabelerError,
)
from bot.prompts.store import NameTakenError, PromptStore
from tests.bot.labelers.jobs.support import WORKSPACE


def checkpoint(*rules: str) -> LabelerCheckpoint:
    return LabelerCheckpoint(
        attributes=[
            LabelerAttribute(id=f"R{i}", value=text, label=True) for i, text in enumerate(rules, 1)
        ],
        next_rule_number=len(rules) + 1,
    )


def save_version(
    store: LabelerStore, client: redis.Redis, name: str, rules: tuple[str, ...]
) -> int:
    number = store.version_count(client, name) + 1
    pipe = client.pipeline()
    store.stage_version(
        pipe,
        name,
        CheckpointVersion(number, checkpoint(*rules), {"seed": 1}, "run1", number, "now"),
    )
    pipe.execute()
    return number


def test_labelers_and_prompts_share_one_name_space(redis_client: redis.Redis) -> None:
    PromptStore(redis_client, WORKSPACE).create("uses", "Tell me about {item}", "U1")
    labelers = LabelerStore(redis_client, WORKSPACE)
    with pytest.raises(LabelerNameTakenError, match="already the name of a prompt"):
        labelers.claim("uses", {}, "U1")
    assert labelers.claim("spam", {"seed": 1}, "U1") is True
    assert labelers.claim("spam", {"seed": 2}, "U2") is False  # retraining keeps the labeler
    assert labelers.settings("spam") == {"seed": 2}
    with pytest.raises(NameTakenError):
        PromptStore(redis_client, WORKSPACE).create("spam", "{x}", "U1")
    assert labelers.names() == ["spam"]


def test_versions_are_appended_and_read_back(redis_client: redis.Redis) -> None:
    labelers = LabelerStore(redis_client, WORKSPACE)
    labelers.claim("spam", {}, "U1")
    assert labelers.current("spam") is None
    save_version(labelers, redis_client, "spam", ("first",))
    save_version(labelers, redis_client, "spam", ("first", "second"))
    versions = labelers.versions("spam")
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].checkpoint.attributes[0]["value"] == "first"  # older versions untouched
    current = labelers.current("spam")
    assert current is not None and len(current.checkpoint.attributes) == 2
    assert labelers.version("spam", 3) is None and labelers.version("spam", 0) is None
    summary = labelers.summaries()[0]
    assert (summary.name, summary.current_version, summary.accuracy) == ("spam", 2, None)


def test_notification_settings_round_trip_and_are_checked(redis_client: redis.Redis) -> None:
    labelers = LabelerStore(redis_client, WORKSPACE)
    with pytest.raises(UnknownLabelerError):
        labelers.set_notification_settings("spam", NotificationSettings())
    labelers.claim("spam", {}, "U1")
    assert labelers.notification_settings("spam") == NotificationSettings()
    chosen = NotificationSettings(channel="C0ALERTS", target=0.9, delta=0.02)
    labelers.set_notification_settings("spam", chosen)
    assert labelers.notification_settings("spam") == chosen
    with pytest.raises(LabelerStoreError, match="target between 0 and 1"):
        labelers.set_notification_settings("spam", NotificationSettings(target=1.5))


def test_the_response_cache_is_scoped_to_a_workspace_labeler_and_run(
    redis_client: redis.Redis,
) -> None:
    cache = RedisResponseCache(redis_client, WORKSPACE, "spam", "run1", ttl_seconds=600)
    cache.set("answer:abc", "True")
    assert cache.get("answer:abc") == "True"
    assert (
        RedisResponseCache(redis_client, WORKSPACE, "spam", "run2", 600).get("answer:abc") is None
    )
    other = RedisResponseCache(redis_client, Workspace("T0OTHER"), "spam", "run1", 600)
    assert other.get("answer:abc") is None
    (key,) = redis_client.keys("*answer*")
    assert str(key).startswith(WORKSPACE.namespace + ":labeler:spam:cache:run1:")
    assert 0 < redis_client.ttl(key) <= 600
