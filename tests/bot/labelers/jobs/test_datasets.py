"""Uploaded data in Redis: typed round trip, the size cap, the TTL (pushed back on use), and one
workspace never reading another's."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import pytest
import redis

from bot.keys import Workspace
from bot.labelers.datasets import (
    DatasetMissingError,
    DatasetStore,
    DatasetTooLargeError,
)
from bot.labelers.jobs.runtime import TrainingRuntime
from bot.labelers.jobs.start import start_training
from bot.labelers.run_state import TrainingLimitError
from bot.services import Services
from tests.bot.labelers.jobs.support import WORKSPACE, World, training_request
from tests.fakes.slack_emulator import SlackEmulator

TTL = 3600


def store(
    client: redis.Redis, workspace: Workspace = WORKSPACE, max_bytes: int = 100_000
) -> DatasetStore:
    return DatasetStore(client, workspace, max_bytes=max_bytes, ttl_seconds=TTL)


def frame() -> pd.DataFrame:
    data = pd.DataFrame({"text": ["a", "b", "c"], "n": ["1", "2", "3"]})
    data["flag"] = pd.Series([True, False, True], dtype=object)
    return data


def test_labels_keep_their_type_and_inputs_stay_text(redis_client: redis.Redis) -> None:
    datasets = store(redis_client)
    dataset_id = datasets.save(frame(), label="flag", inputs=["text", "n"], source_name="f.csv")
    loaded = datasets.load(dataset_id)
    assert loaded.frame["flag"].tolist() == [True, False, True]
    assert all(isinstance(value, bool) for value in loaded.frame["flag"])
    assert loaded.frame["n"].tolist() == ["1", "2", "3"]
    assert list(loaded.frame.columns) == ["text", "n", "flag"]
    assert (loaded.label, loaded.inputs, loaded.source_name) == ("flag", ["text", "n"], "f.csv")


def test_data_over_the_cap_is_refused_with_the_sizes(redis_client: redis.Redis) -> None:
    big = pd.DataFrame({"text": ["x" * 1000] * 50, "flag": [True, False] * 25})
    with pytest.raises(DatasetTooLargeError, match="50 KB once stored; the limit is 20 KB"):
        store(redis_client, max_bytes=20_000).save(big, label="flag", inputs=["text"])
    assert redis_client.keys("*dataset*") == []


def test_data_expires_unless_a_training_keeps_reading_it(redis_client: redis.Redis) -> None:
    datasets = store(redis_client)
    dataset_id = datasets.save(frame(), label="flag", inputs=["text"])
    key = WORKSPACE.keys.dataset(dataset_id)
    assert 0 < redis_client.ttl(key) <= TTL
    redis_client.expire(key, 5)
    datasets.load(dataset_id)
    assert redis_client.ttl(key) > 5  # reading pushed the expiry back

    redis_client.delete(key)  # what expiry does
    with pytest.raises(DatasetMissingError, match="Upload the CSV again"):
        datasets.load(dataset_id)


def test_another_workspace_cannot_read_the_data(redis_client: redis.Redis) -> None:
    dataset_id = store(redis_client).save(frame(), label="flag", inputs=["text"])
    with pytest.raises(DatasetMissingError):
        store(redis_client, Workspace("T0OTHER")).load(dataset_id)


def test_a_training_with_too_much_data_starts_nothing(
    make_runtime: Callable[..., TrainingRuntime], world: World, slack: SlackEmulator
) -> None:
    runtime = make_runtime(max_dataset_bytes=500)
    with pytest.raises(DatasetTooLargeError):
        start_training(runtime.services, WORKSPACE, training_request(world.frame))
    assert slack.calls_to("chat.postMessage") == []
    assert runtime.queue().count == 0
    assert runtime.redis.keys("*training*") == []


def test_a_workspace_keeps_no_more_training_data_than_its_limit(redis_client: redis.Redis) -> None:
    limited = DatasetStore(redis_client, WORKSPACE, 100_000, TTL, workspace_max_bytes=400)
    first = limited.save(frame(), "flag", ["text", "n"])
    assert 0 < limited.stored_bytes() <= 400
    limited.save(frame(), "flag", ["text", "n"])
    with pytest.raises(DatasetTooLargeError, match="already keeps"):
        limited.save(frame(), "flag", ["text", "n"])
    # Data that is gone (deleted or expired) no longer counts.
    limited.delete(first)
    limited.save(frame(), "flag", ["text", "n"])
    another = DatasetStore(redis_client, Workspace("T0ELSE"), 100_000, TTL, 400)
    another.save(frame(), "flag", ["text", "n"])


def test_a_workspace_runs_no_more_trainings_at_once_than_its_limit(
    make_services: Callable[..., Services],
    make_runtime: Callable[..., TrainingRuntime],
    world: World,
    slack: SlackEmulator,
) -> None:
    runtime = make_runtime(make_services(ALIGN_TRAININGS_PER_WORKSPACE="2"))
    for name in ("first", "second"):
        start_training(runtime.services, WORKSPACE, training_request(world.frame, labeler=name))
    with pytest.raises(TrainingLimitError, match="already runs 2 training"):
        start_training(runtime.services, WORKSPACE, training_request(world.frame, labeler="third"))
    assert runtime.queue().count == 2
    assert len(runtime.redis.keys("*:dataset:*")) == 2
