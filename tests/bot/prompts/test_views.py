"""Block Kit builders, checked as the pure functions they are."""

from __future__ import annotations

import json
import re
from typing import Any

from alignment._single_run.types import ConstitutionalPrompt
from bot.commands.text import unescape
from bot.feedback.actions import answer_menu_block
from bot.prompts import views
from bot.prompts.store import PromptVersion
from bot.slack.chunking import SECTION_TEXT_LIMIT
from tests.fakes.slack_limits import assert_message_fits


def version(template: str, principles: list[str] | None = None, number: int = 2) -> PromptVersion:
    prompt = ConstitutionalPrompt(
        preamble=template, original_preamble=template, principles=principles or []
    )
    return PromptVersion("uses", number, prompt, "U1", "2025-01-01T00:00:00+00:00")


def texts(blocks: list[dict[str, Any]]) -> list[str]:
    found = []
    for block in blocks:
        if isinstance(block.get("text"), str):
            found.append(block["text"])  # a markdown block's text is a plain string
        elif "text" in block:
            found.append(block["text"]["text"])
        for element in block.get("elements", []):
            found.append(element["text"])
    return found


def test_run_root_names_prompt_version_variables_and_person() -> None:
    message = views.run_root("uses", 3, {"item": "a <b> & c", "tone": "dry"}, "U9", 1)
    body = "\n".join(texts(message.blocks))
    assert "`uses`" in body and "version 3" in body and "<@U9>" in body
    assert "`item` = a &lt;b&gt; &amp; c" in body
    assert "`tone` = dry" in body
    assert "3 candidate" not in body
    assert "3 candidate answers" in "\n".join(texts(views.run_root("uses", 3, {}, "U9", 3).blocks))


def test_long_answer_arrives_whole_in_blocks_under_limits() -> None:
    answer = "\n\n".join(f"Paragraph {i}: " + "words & <more> " * 60 for i in range(120))
    messages = views.answer_messages(answer, candidate=0, candidates=1)
    assert len(messages) > 1
    markdown = [
        block["text"]
        for message in messages
        for block in message.blocks
        if block["type"] == "markdown"
    ]
    assert len(markdown) == len(messages)  # one markdown block per message
    assert "".join(markdown) == answer  # cut at paragraph breaks, nothing lost or added
    assert all(text.endswith("\n\n") for text in markdown[:-1])
    for message in messages:
        assert_message_fits(message.as_kwargs()["text"], message.blocks)
        # The fallback is a notification's preview: the start, cut, as escaped mrkdwn.
        assert message.text.startswith("Paragraph ") and message.text.endswith("…")
        assert "words &amp; &lt;more&gt;" in message.text
    labels = [texts(m.blocks)[0] for m in messages]
    assert labels[0].startswith("part 1 of ")


def test_candidates_are_labelled() -> None:
    message = views.answer_messages("Short.", candidate=1, candidates=3)[0]
    assert texts(message.blocks)[0].startswith("*Candidate 2 of 3*")
    assert views.answer_messages("Short.", 0, 1)[0].blocks == [
        {"type": "markdown", "text": "Short."},
        answer_menu_block(),
    ]


def test_empty_answer_is_shown_as_such() -> None:
    message = views.answer_messages("  \n", 0, 1)[0]
    assert "answered with nothing" in texts(message.blocks)[0]


def test_run_variables_modal_has_one_multiline_input_per_variable() -> None:
    modal = views.run_variables_modal(
        "uses", 2, ["item", "tone"], {"tone": "dry"}, json.dumps({"channel": "C1"})
    )
    inputs = [b for b in modal["blocks"] if b["type"] == "input"]
    assert [b["label"]["text"] for b in inputs] == ["item", "tone"]
    assert all(b["element"]["multiline"] for b in inputs)
    assert "initial_value" not in inputs[0]["element"]
    assert inputs[1]["element"]["initial_value"] == "dry"
    assert modal["callback_id"] == views.RUN_VARIABLES_CALLBACK
    assert len(modal["title"]["text"]) <= 24


def test_template_modal_asks_for_a_name_only_when_new() -> None:
    new = views.prompt_template_modal("new", "uses", None, "{}")
    edit = views.prompt_template_modal("edit", "uses", "Hi {x}", "{}")
    new_inputs = [b["block_id"] for b in new["blocks"] if b["type"] == "input"]
    edit_inputs = [b for b in edit["blocks"] if b["type"] == "input"]
    assert new_inputs == [views.NAME_BLOCK, views.TEMPLATE_BLOCK]
    assert [b["block_id"] for b in edit_inputs] == [views.TEMPLATE_BLOCK]
    assert edit_inputs[0]["element"]["initial_value"] == "Hi {x}"
    assert edit_inputs[0]["element"]["multiline"] is True


def test_submitted_values_reads_every_input() -> None:
    view = {
        "state": {
            "values": {
                "var:item": {"value": {"type": "plain_text_input", "value": "scissors"}},
                "var:tone": {"value": {"type": "plain_text_input", "value": None}},
            }
        }
    }
    assert views.submitted_values(view) == {"var:item": "scissors", "var:tone": ""}


def test_prompt_details_show_template_variables_and_principles() -> None:
    record = version("Give {n} uses for {item} & <more>", ["Be brief.", "Avoid <jargon>."])
    body = "\n".join(texts(views.prompt_details(record).blocks))
    assert "version 2" in body
    assert "`n`, `item`" in body
    assert "Give {n} uses for {item} &amp; &lt;more&gt;" in body
    assert "1. Be brief.\n2. Avoid &lt;jargon&gt;." in body


def test_prompt_details_of_a_long_template_fit_blocks() -> None:
    record = version("word " * 4000)
    blocks = views.prompt_details(record).blocks
    assert all(len(t) <= SECTION_TEXT_LIMIT for t in texts(blocks))
    shown = "".join(re.sub(r"^```\n|\n```$", "", t) for t in texts(blocks) if t.startswith("```"))
    assert shown == "word " * 4000


def test_export_inline_loads_back_into_the_library() -> None:
    record = version("Say {x} & <y>", ["Rule one."])
    message = views.export_inline(record, views.export_json(record))
    match = re.search(r"```\n(.*)\n```", message.text, re.DOTALL)
    assert match is not None
    loaded = ConstitutionalPrompt.from_dict(json.loads(unescape(match.group(1))))
    assert loaded == record.prompt


def test_run_example_lists_every_variable() -> None:
    assert views.run_example(version("{a} and {b}")) == "`/align run uses a=… b=…`"
    assert views.run_example(version("no variables")) == "`/align run uses`"


def test_help_lists_every_command_and_topic_help_shows_usage() -> None:
    body = texts(views.help_message().blocks)[0]
    for word in ("new", "edit", "list", "show", "run", "export"):
        assert f"/align {word}" in body
    assert views.help_message("run").text.startswith("Usage: `/align run NAME")


def test_failed_placeholder_says_why_and_that_nothing_was_saved() -> None:
    message = views.run_failed_placeholder("The model failed: quota <exceeded> " + "x" * 5000)
    body = texts(message.blocks)[0]
    assert body.startswith(":x: The model failed: quota &lt;exceeded&gt;")
    assert body.endswith("Nothing was saved.")
    assert len(body) <= SECTION_TEXT_LIMIT


def test_run_root_stays_within_a_section_with_many_long_variables() -> None:
    variables = {f"v{i}": "long value " * 40 for i in range(30)}
    body = texts(views.run_root("uses", 1, variables, "U9", 1).blocks)[0]
    assert len(body) <= SECTION_TEXT_LIMIT
    assert "`v0` = long value" in body
    assert body.endswith("more")


def test_principles_show_their_markdown_as_formatting_and_never_ping() -> None:
    record = version("Say {x}", ["Be **brief** and use `lists`", "Never <!here> [a](javascript:x)"])
    body = "\n".join(texts(views.prompt_details(record).blocks))
    assert "1. Be *brief* and use `lists`\n2. Never &lt;!here&gt; [a](javascript:x)" in body
