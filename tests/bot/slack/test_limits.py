"""Every message and view the bot builds stays within Slack's limits, even from oversized data.

Each builder gets the largest data a workspace can produce (thousands of prompts, long names,
templates, principles and answers, many labels, long column names) and the result is checked with
the same validator the Slack emulator applies to every call.
"""

from __future__ import annotations

from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from alignment._labeler.types import LabelerAttribute, LabelerCheckpoint, Scorecard
from alignment._single_run.principles import PrincipleChange
from alignment._single_run.types import ConstitutionalPrompt
from bot.feedback import views as feedback_views
from bot.home.tab import PromptOverview, home_view
from bot.labelers import forms as training_forms
from bot.labelers import views as training_views
from bot.labelers.progress import ProgressView, render_progress
from bot.labelers.report import TrainingReport, report_messages
from bot.labelers.run_state import FAILED, RUNNING, StepResult
from bot.labelers.store import CheckpointVersion, LabelerSummary, NotificationSettings
from bot.prompts import history_views as version_views
from bot.prompts import views
from bot.prompts.store import PromptSummary, PromptVersion
from bot.prompts.version_log import VersionNote
from bot.prompts.versions import HistoryEntry, VersionChange
from bot.slack import blocks as block_kit
from tests.fakes.slack_emulator import BOT_TOKEN, SlackEmulator
from tests.fakes.slack_limits import (
    assert_message_fits,
    assert_view_fits,
    message_problems,
    view_problems,
)

# Characters that grow fourfold when escaped for mrkdwn, and line breaks that each gain a ">".
HOSTILE = "<&>\n" * 2000
LONG_NAME = "n" * 64  # the longest prompt or labeler name the commands accept


def fits(message: block_kit.Message) -> block_kit.Message:
    assert_message_fits(message.text, message.blocks)
    return message


def all_text(blocks: list[dict[str, Any]]) -> str:
    found = []
    for block in blocks:
        if isinstance(block.get("text"), str):
            found.append(block["text"])  # a markdown block
        if isinstance(block.get("text"), dict):
            found.append(block["text"]["text"])
        found += [e.get("text", "") for e in block.get("elements", []) if isinstance(e, dict)]
    return "\n".join(found)


def prompt(template: str, principles: list[str], name: str = LONG_NAME) -> PromptVersion:
    data = ConstitutionalPrompt(
        preamble=template, original_preamble=template, principles=principles
    )
    return PromptVersion(name, 7, data, "U1", "2026-01-01T00:00:00+00:00")


# ---- the validator and the emulator


def test_the_validator_names_each_broken_limit() -> None:
    button = {"type": "button", "text": {"type": "plain_text", "text": "b" * 76}, "value": "v"}
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3001}},
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
        {"type": "actions", "elements": [button]},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11},
    ]
    problems = message_problems("t" * 40_001, blocks)
    assert len(problems) == 5
    assert message_problems("fine", blocks[:0] + [{"type": "divider"}] * 50) == []
    assert message_problems("fine", [{"type": "divider"}] * 51) == ["51 blocks > 50"]
    modal: dict[str, Any] = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}}
    assert view_problems(modal) == ["view title: 25 chars > 24"]
    select: dict[str, Any] = {
        "type": "static_select",
        "options": [{"text": {"type": "plain_text", "text": "o"}, "value": "v" * 151}] * 101,
    }
    modal = {"type": "modal", "blocks": [{"type": "input", "element": select}]}
    found = view_problems(modal)
    assert any("101 options" in p for p in found) and any("option value" in p for p in found)


def test_the_emulator_refuses_what_slack_refuses() -> None:
    with SlackEmulator() as slack:
        client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
        too_many = [{"type": "section", "text": {"type": "mrkdwn", "text": "x"}}] * 51
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel="C1", text="hi", blocks=too_many)
        assert refused.value.response["error"] == "invalid_blocks"
        with pytest.raises(SlackApiError) as refused:
            client.chat_postEphemeral(channel="C1", user="U1", text="x" * 40_001)
        assert refused.value.response["error"] == "msg_too_long"
        posted = client.chat_postMessage(channel="C1", text="hi", blocks=too_many[:50])
        with pytest.raises(SlackApiError) as refused:
            client.chat_update(channel="C1", ts=posted["ts"], text="hi", blocks=too_many)
        assert refused.value.response["error"] == "invalid_blocks"
        modal = {"type": "modal", "title": {"type": "plain_text", "text": "t" * 25}, "blocks": []}
        with pytest.raises(SlackApiError) as refused:
            client.views_open(trigger_id="1.2", view=modal)
        assert refused.value.response["error"] == "invalid_arguments"
        home = {"type": "home", "blocks": [{"type": "divider"}] * 101}
        with pytest.raises(SlackApiError) as refused:
            client.views_publish(user_id="U1", view=home)
        assert refused.value.response["error"] == "invalid_arguments"
        assert len(slack.messages) == 1 and not slack.home_views and not slack.views


def test_markdown_blocks_are_held_to_their_own_limits() -> None:
    def markdown(size: int) -> dict[str, Any]:
        return {"type": "markdown", "text": "m" * size}

    assert message_problems("t", [markdown(12_000)]) == []
    assert message_problems("t", [markdown(12_001)]) == [
        "block 0 (markdown) text: 12001 chars > 12000",
        "markdown blocks together: 12001 chars > 12000",
    ]
    # The cap is on all markdown blocks of a message together, not on each.
    assert message_problems("t", [markdown(7000), markdown(6000)]) == [
        "markdown blocks together: 13000 chars > 12000"
    ]
    assert message_problems("t", [{"type": "markdown", "text": ""}]) == [
        "block 0 (markdown): text must be a non-empty string"
    ]
    modal = {"type": "modal", "blocks": [markdown(10)]}
    assert view_problems(modal) == ["view: markdown blocks are only allowed in messages"]
    with SlackEmulator() as slack:
        client = WebClient(token=BOT_TOKEN, base_url=slack.api_url)
        with pytest.raises(SlackApiError) as refused:
            client.chat_postMessage(channel="C1", text="t", blocks=[markdown(7000)] * 2)
        assert refused.value.response["error"] == "msg_blocks_too_long"
        client.chat_postMessage(channel="C1", text="t", blocks=[markdown(6000)] * 2)
        assert len(slack.messages) == 1


# ---- prompts and runs


def test_a_list_of_thousands_of_prompts_is_cut_with_a_pointer() -> None:
    summaries = [PromptSummary(f"{LONG_NAME[:60]}{n:04d}", n, "U1", "now") for n in range(5000)]
    message = fits(views.prompt_list(summaries))
    assert "did not fit" in all_text(message.blocks[-1:])


def test_details_of_a_huge_prompt_point_at_the_export() -> None:
    record = prompt("{a} " + HOSTILE * 10, [HOSTILE] * 20)
    message = fits(views.prompt_details(record))
    assert f"/align export {LONG_NAME}" in all_text(message.blocks[-1:])


def test_hundreds_of_variables_fit_the_saved_note_the_form_and_an_error() -> None:
    names = [f"variable_number_{n}_" + "v" * 300 for n in range(150)]
    record = prompt(" ".join(f"{{{name}}}" for name in names), [])
    assert record.variables == names
    fits(views.prompt_saved(record, created=True))
    fits(block_kit.error(f"Give a value for {', '.join(names)}"))
    assert not views.form_holds(names)
    assert not views.form_holds(["v" * 300])
    many = [f"v{n}" for n in range(150)]
    assert not views.form_holds(many) and views.form_holds(many[: views.MAX_FORM_VARIABLES])
    form = views.run_variables_modal(
        LONG_NAME, 7, many, {many[0]: "g" * 5000, many[1]: "short"}, "{}"
    )
    assert_view_fits(form)
    assert_view_fits(views.run_variables_modal(LONG_NAME, 7, names, {}, "{}"))
    fields = [b for b in form["blocks"] if b["type"] == "input"]
    assert len(fields) == views.MAX_FORM_VARIABLES
    # A value too long to prefill whole is left out rather than cut; a short one is kept.
    assert "initial_value" not in fields[0]["element"]
    assert fields[1]["element"]["initial_value"] == "short"
    assert f"/align run {LONG_NAME}" in all_text(form["blocks"][-1:])


# ---- feedback, versions and App Home


def test_feedback_messages_fit_whatever_the_model_or_people_wrote() -> None:
    offer = fits(feedback_views.reason_offer("U1", "-1", "critique", [HOSTILE] * 3, "t" * 40))
    assert all_text(offer.blocks[1:2]).endswith("…")
    changes = [
        PrincipleChange("add", 3, new_text=HOSTILE),
        PrincipleChange("edit", 3, old_text=HOSTILE, new_text=HOSTILE),
        PrincipleChange("delete", 3, old_text=HOSTILE),
    ]
    for change in changes:
        fits(feedback_views.change_posted(LONG_NAME, 9, change, "U1", "critique", HOSTILE, HOSTILE))
    fits(feedback_views.no_change("U1", "kudos", HOSTILE))
    fits(feedback_views.undo_result("U1", HOSTILE))
    fits(feedback_views.feedback_failed("U1", "rewrite", HOSTILE))
    fits(feedback_views.reason_chosen("U1", "+1", "kudos", HOSTILE))


def test_quoted_text_stays_within_its_limit_and_shows_the_cut() -> None:
    quote = feedback_views.quoted(HOSTILE, 1000)
    assert len(quote) <= 1000 and quote.endswith("…")
    assert feedback_views.quoted("a <b>\nc", 1000) == ">a &lt;b&gt;\n>c"


def test_version_messages_fit_and_point_at_the_rest() -> None:
    record = prompt("t", [f"{n}: " + HOSTILE for n in range(100)])
    principles = fits(version_views.principles_message(record))
    assert "/align export" in all_text(principles.blocks[-1:])
    note = VersionNote(8, "apply", "U1", "now", "applied")
    change = VersionChange(prompt("short", []), prompt(HOSTILE * 20, []), note)
    rewritten = fits(version_views.rewritten_message(LONG_NAME, change, "U1", "Applied", HOSTILE))
    assert f"/align show {LONG_NAME}" in all_text(rewritten.blocks[-1:])
    entries = [HistoryEntry(n, "U1", "now", HOSTILE, False, False) for n in range(1, 600)]
    fits(version_views.history_message(LONG_NAME, entries, []))


def test_app_home_with_many_prompts_keeps_to_100_blocks() -> None:
    prompts = [PromptOverview(f"p{n}", n, n, "U1", "now", HOSTILE) for n in range(300)]
    view = home_view(prompts)
    labelers = [LabelerSummary(f"l{n}", 1, 0.5, "now") for n in range(300)]
    view["blocks"] += training_views.home_blocks(labelers, 100 - len(view["blocks"]))
    assert_view_fits(view)
    assert "/align list" in all_text(view["blocks"][-1:])


def test_app_home_shows_a_changes_markdown_as_mrkdwn_without_pings() -> None:
    change = "added **Be brief** <!here> " + "word " * 200
    view = home_view([PromptOverview("uses", 2, 1, "U1", "now", change)])
    assert_view_fits(view)
    shown = all_text(view["blocks"])
    assert "added *Be brief* &lt;!here&gt; word" in shown and "<!here>" not in shown
    assert "…" in shown and len(shown.split("U1>: ", 1)[1].split("\n")[0]) <= 400


# ---- labelers


LABELS = [f"label {n} " + "w" * 60 for n in range(60)]


def scorecard(size: int) -> Scorecard:
    return {
        "precision": [0.5] * size,
        "recall": [0.5] * size,
        "fscore": [0.5] * size,
        "support": [1000] * size,
        "n_empty": 3,
        "accuracy": 0.5,
        "confusion_matrix": [[1000] * size for _ in range(size)],
    }


def checkpoint() -> LabelerCheckpoint:
    rules = [
        LabelerAttribute(id=f"R{n}", value=HOSTILE[:400], label=LABELS[n % len(LABELS)])
        for n in range(300)
    ]
    return LabelerCheckpoint(attributes=rules)


def test_a_labeler_with_many_long_labels_and_columns_is_shown_within_limits() -> None:
    settings = {
        "input_names": ["c" * 300 for _ in range(30)],
        "label_name": "L" * 500,
        "label_values": LABELS,
        "task_description": HOSTILE,
    }
    current = CheckpointVersion(4, checkpoint(), settings, "run1", 3, "now")
    details = training_views.labeler_details(
        LONG_NAME, current, 4, (4, scorecard(len(LABELS))), True, NotificationSettings()
    )
    fits(details)
    assert "lists every rule" in all_text(details.blocks[-1:])
    values = {"c" * 300 + str(n): HOSTILE for n in range(30)}
    fits(training_views.prediction(LONG_NAME, 4, "L" * 500, values, LABELS[0], HOSTILE))
    fits(training_views.prediction(LONG_NAME, 4, "L" * 500, values, "", HOSTILE))
    listing = training_views.labeler_list_blocks(
        [LabelerSummary(f"{LONG_NAME[:60]}{n:04d}", 1, None, "now") for n in range(300)]
    )
    assert_message_fits("labelers", listing)


def test_the_report_for_many_labels_is_split_over_messages_that_fit() -> None:
    report = TrainingReport(
        labeler=LONG_NAME,
        version=3,
        label_values=LABELS,
        scorecard=scorecard(len(LABELS)),
        checkpoint=checkpoint(),
        steps=[StepResult(n, n, 0.5, 0.5, HOSTILE[:800]) for n in range(1, 6)],
        steps_total=5,
        model_calls=10**6,
        cache_hits=10,
        prompt_tokens=10**9,
        output_tokens=10**8,
        duration_seconds=10**5,
    )
    messages = report_messages(report)
    for text, blocks in messages:
        assert_message_fits(text, blocks)
    shown = "\n".join(all_text(blocks) for _, blocks in messages)
    assert all(label in shown for label in LABELS)


def test_the_progress_message_fits_a_long_split_and_a_long_error() -> None:
    common: dict[str, Any] = {
        "labeler": LONG_NAME,
        "step": 2,
        "steps_total": 4,
        "fraction": 0.5,
        "model_calls": 10,
        "accuracy": None,
        "elapsed_seconds": 5.0,
        "split_text": "\n".join(f"{label}: 100 train, 25 test" for label in LABELS) * 3,
        "phase": "score",
    }
    for status, note in ((RUNNING, None), (FAILED, HOSTILE)):
        text, blocks = render_progress(ProgressView(status=status, note=note, **common))
        assert_message_fits(text, blocks)
        assert "…" in all_text(blocks)


def test_the_training_form_fits_long_column_names_and_a_task_in_any_script() -> None:
    header = ["c" * 200, *(f"column {n} " + "x" * 130 for n in range(150))]
    carried = training_forms.metadata(
        name=LONG_NAME,
        channel="C0123456789",
        thread_ts="1700000000.000100",
        response_url="https://hooks.slack.com/commands/T0/123456789/" + "a" * 24,
        label=None,
        inputs=[],
        file_id="F0123456789",
        file_name="f" * 255 + ".csv",
        task="判" * training_forms.TASK_MAX_CHARS,
        steps=3,
        notify=None,
    )
    form = training_forms.columns_form(LONG_NAME, "f" * 255 + ".csv", header, carried)
    assert_view_fits(form)
    notes = all_text(form["blocks"])
    assert "1 column name is longer than 150 characters" in notes
    assert f"first {training_forms.MAX_COLUMN_OPTIONS} columns" in notes
    label = next(b for b in form["blocks"] if b.get("block_id") == training_forms.LABEL_BLOCK)
    assert len(label["element"]["options"]) == training_forms.MAX_COLUMN_OPTIONS
