"""Model settings per version: checked values, carried by every later version, used by runs."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from alignment.model_helper import SupportsStreaming
from bot.keys import Workspace
from bot.models.tuned import TunedModel, TunedStreamingModel, tuned
from bot.prompts.model_settings import ModelSettings, ModelSettingsError, apply_settings
from bot.prompts.store import PromptStore
from bot.prompts.versions import SettingsUnchangedError, configure, rollback
from tests.fakes.models import ScriptedModel

TEAM = Workspace("TA")


def test_settings_are_parsed_and_checked() -> None:
    given = {"model": "openai:llama3.1", "temperature": "0.2", "max_tokens": "512"}
    settings = apply_settings(ModelSettings(), given)
    assert settings == ModelSettings("openai:llama3.1", 0.2, 512)
    assert apply_settings(settings, {"temperature": "default"}) == ModelSettings(
        "openai:llama3.1", None, 512
    )
    bad = [
        ({"model": "nosuch:thing"}, "names no model"),
        ({"model": "openai"}, "names no model"),
        ({"temperature": "2.5"}, "from 0 to 2"),
        ({"temperature": "-0.1"}, "from 0 to 2"),
        ({"temperature": "nan"}, "from 0 to 2"),
        ({"temperature": "warm"}, "from 0 to 2"),
        ({"max_tokens": "0"}, "whole number"),
        ({"max_tokens": "1.5"}, "whole number"),
        ({"max_tokens": "9999999"}, "whole number"),
        ({"top_p": "0.9"}, "not a model setting"),
    ]
    for settings_given, message in bad:
        with pytest.raises(ModelSettingsError, match=message):
            apply_settings(ModelSettings(), settings_given)


def test_config_makes_a_version_that_later_versions_keep(redis_client: redis.Redis) -> None:
    store = PromptStore(redis_client, TEAM)
    store.create("uses", "Uses for {item}", "U1")
    change = configure(redis_client, TEAM, "uses", "U2", {"temperature": "0.2", "max_tokens": "64"})
    assert (change.before.version, change.after.version) == (1, 2)
    assert change.after.template == "Uses for {item}"
    assert store.current("uses").settings == ModelSettings(None, 0.2, 64)
    # An edit keeps them, a rollback to version 1 takes version 1's (none), and version 2's
    # stay readable forever.
    assert store.edit("uses", "Two uses for {item}", "U1").settings == ModelSettings(None, 0.2, 64)
    assert rollback(redis_client, TEAM, "uses", 1, "U1").after.settings == ModelSettings()
    assert store.version("uses", 2).settings == ModelSettings(None, 0.2, 64)
    with pytest.raises(SettingsUnchangedError):
        configure(redis_client, TEAM, "uses", "U1", {"temperature": "default"})
    with pytest.raises(ModelSettingsError):
        configure(redis_client, TEAM, "uses", "U1", {"temperature": "9"})
    assert len(store.versions("uses")) == 4


def test_a_tuned_model_sends_the_versions_temperature_and_length() -> None:
    inner = ScriptedModel(answers=["a", "b"])
    assert tuned(inner, None, None) is inner
    model = tuned(inner, 0.2, 64)
    assert isinstance(model, TunedModel)
    model.predict("p", temperature=0.9)
    tuned(inner, None, 32).predict("p", temperature=0.5, max_output_tokens=8)
    sent = [(r.temperature, r.max_output_tokens) for r in inner.requests]
    assert sent == [(0.2, 64), (0.5, 32)]
    assert model.model_name == "scripted"  # everything else is the wrapped helper's


class StreamingModel(ScriptedModel):
    """A scripted model that also streams, recording what each stream was asked with."""

    def __init__(self) -> None:
        super().__init__(answers=[])
        self.streamed: list[tuple[float, int | None]] = []

    def predict_stream(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        max_output_tokens: int | None = None,
    ) -> Iterator[str]:
        self.streamed.append((temperature, max_output_tokens))
        yield from ("one ", "two")


def test_a_streaming_model_still_streams_with_the_versions_settings() -> None:
    inner = StreamingModel()
    model = tuned(inner, 0.3, 99)
    assert isinstance(model, SupportsStreaming)
    assert isinstance(model, TunedStreamingModel)
    assert "".join(model.predict_stream("p", temperature=0.9)) == "one two"
    assert inner.streamed == [(0.3, 99)]
    assert not isinstance(tuned(ScriptedModel(), 0.3, None), SupportsStreaming)
