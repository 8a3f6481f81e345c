"""Labels and model settings wherever a prompt is shown, and the promote / config grammar."""

from __future__ import annotations

import json

import pytest

from alignment._single_run.types import ConstitutionalPrompt
from bot.commands.prompts import ApiKeyCommand, ConfigurePrompt, PromotePrompt, parse_command
from bot.commands.text import CommandSyntaxError
from bot.home.tab import PromptOverview, home_view
from bot.prompts import label_views, views
from bot.prompts.history_views import history_message
from bot.prompts.labels import LabelMove
from bot.prompts.model_settings import DEFAULT_SETTINGS, ModelSettings
from bot.prompts.store import PromptSummary, PromptVersion
from bot.prompts.versions import HistoryEntry
from tests.bot.prompts.test_views import texts
from tests.fakes.slack_limits import assert_message_fits


def test_promote_config_and_apikey_commands_parse() -> None:
    assert parse_command("promote uses 3") == PromotePrompt("uses", 3, "production")
    assert parse_command("promote uses v4 staging") == PromotePrompt("uses", 4, "staging")
    assert parse_command("config uses") == ConfigurePrompt("uses", {})
    assert parse_command("config uses model=openai:llama3.1:8b max_tokens=64") == ConfigurePrompt(
        "uses", {"model": "openai:llama3.1:8b", "max_tokens": "64"}
    )
    assert parse_command("apikey create shop-app") == ApiKeyCommand("create", "shop-app")
    assert parse_command("apikey LIST") == ApiKeyCommand("list")
    assert parse_command("apikey revoke shop-app") == ApiKeyCommand("revoke", "shop-app")


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("promote uses", "a version number"),
        ("promote uses three", "not a version number"),
        ("promote uses 3 Prod!", "not a valid label"),
        ("promote uses 3 production extra", "optionally a label"),
        ("config uses temperature", "`setting=value`"),
        ("config uses temperature=1 temperature=2", "given twice"),
        ("apikey", "`create NAME`"),
        ("apikey create", "one key name"),
        ("apikey create Bad_Name", "not a valid key name"),
        ("apikey list extra", "nothing after it"),
    ],
)
def test_bad_commands_say_what_to_fix(text: str, words: str) -> None:
    with pytest.raises(CommandSyntaxError, match=words) as refused:
        parse_command(text)
    assert refused.value.usage


def version(number: int, settings: ModelSettings = DEFAULT_SETTINGS) -> PromptVersion:
    prompt = ConstitutionalPrompt(preamble="Uses for {item}", original_preamble="Uses for {item}")
    return PromptVersion("uses", number, prompt, "U1", "2025-01-01T00:00:00+00:00", settings)


def test_show_list_history_and_home_carry_the_labels() -> None:
    labels = {"production": 2, "staging": 3}
    details = views.prompt_details(version(3, ModelSettings("openai:llama3.1", 0.2)), labels)
    shown = "\n".join(texts(details.blocks))
    assert "Labels: `production` v2 · `staging` v3" in shown
    assert "model openai:llama3.1, temperature 0.2, max_tokens default" in shown
    assert "Labels" not in "\n".join(texts(views.prompt_details(version(3)).blocks))

    listing = views.prompt_list([PromptSummary("uses", 3, "U1", "now", labels)])
    assert "labels `production` v2 · `staging` v3" in "\n".join(texts(listing.blocks))

    entries = [HistoryEntry(n, "U1", "now", "edited", current=n == 3) for n in (1, 2, 3)]
    history = history_message("uses", entries, [], {2: ["production"], 3: ["staging"]})
    lines = "\n".join(texts(history.blocks)).splitlines()
    assert any(line.startswith("*v2*") and "`production`" in line for line in lines)
    assert any(
        line.startswith("*v3*") and "`staging`" in line and "current" in line for line in lines
    )

    home = home_view([PromptOverview("uses", 3, 0, "U1", "now", "edited", labels)])
    assert "`production` v2" in json.dumps(home)


def test_the_move_message_carries_a_button_back_to_where_the_label_was() -> None:
    message = label_views.label_moved_message(
        LabelMove("uses", "production", 2, 3), "U1", "id1", back=False
    )
    assert_message_fits(message.text, message.blocks)
    body = message.blocks[0]["text"]["text"]
    assert "promoted *`uses`* version 3 to `production` (was version 2)" in body
    button = message.blocks[1]["elements"][0]
    assert button["action_id"] == label_views.MOVE_BACK_ACTION
    assert "version 2" in button["text"]["text"]
    value = label_views.read_move_back(button["value"])
    assert value == {"name": "uses", "label": "production", "from": 3, "to": 2, "id": "id1"}
    first = label_views.label_moved_message(
        LabelMove("uses", "production", None, 1), "U1", None, back=False
    )
    first_value = label_views.read_move_back(first.blocks[1]["elements"][0]["value"])
    assert first_value is not None and first_value["to"] is None
    for forged in ("nope", "[]", '{"name": "uses"}', json.dumps({**value, "to": "1"})):
        assert label_views.read_move_back(forged) is None
