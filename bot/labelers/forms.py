"""The two-step `/align train NAME` form, as pure functions: build each view, read each submission.

A modal's file input reveals the chosen file only when the form is submitted, so the columns
cannot be offered on the first view. Step one asks for the file, the task, the steps and the
notification channel; the bot then reads the file's header and replaces the view with step two,
where the label and input columns are picked from that header.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from alignment.labeler import MAX_EXPERTS
from bot.commands.labelers import DEFAULT_STEPS, MAX_STEPS, read_experts, read_threshold
from bot.slack.blocks import mrkdwn_context, mrkdwn_section, plain_text
from bot.slack.chunking import escape_mrkdwn

Block = dict[str, Any]

UPLOAD_CALLBACK = "alignbot_train_upload"
COLUMNS_CALLBACK = "alignbot_train_columns"
FILE_BLOCK, FILE_ACTION = "train_file", "file"
TASK_BLOCK, TASK_ACTION = "train_task", "task"
STEPS_BLOCK, STEPS_ACTION = "train_steps", "steps"
NOTIFY_BLOCK, NOTIFY_ACTION = "train_notify", "notify"
EXPERTS_BLOCK, EXPERTS_ACTION = "train_experts", "experts"
LABEL_BLOCK, LABEL_ACTION = "train_label", "label"
INPUTS_BLOCK, INPUTS_ACTION = "train_inputs", "inputs"
THRESHOLD_BLOCK, THRESHOLD_ACTION = "train_threshold", "threshold"
# Room for any number a person would type as a threshold, and a clear cap for anything else.
THRESHOLD_MAX_CHARS = 32
# private_metadata holds at most 3000 characters, and it carries the task along to step two.
METADATA_MAX_CHARS = 3000
TASK_MAX_CHARS = 1500
# Room kept for the chosen file's id before it is known (Slack's are about eleven characters).
FILE_ID_ROOM = 32
# Slack's limits for select menus: 100 options, 75 characters of option text.
MAX_COLUMN_OPTIONS = 100
OPTION_TEXT_LIMIT = 75
OPTION_VALUE_LIMIT = 150
TITLE = "Train a labeler"


def _modal(callback_id: str, metadata: str, blocks: list[Block], submit: str | None) -> Block:
    view: Block = {
        "type": "modal",
        "callback_id": callback_id,
        "private_metadata": metadata,
        "title": plain_text(TITLE),
        "close": plain_text("Close" if submit is None else "Cancel"),
        "blocks": blocks,
    }
    if submit is not None:
        view["submit"] = plain_text(submit)
    return view


@dataclass(frozen=True)
class FormPrefill:
    """What `/align train NAME key=value ...` already said, shown in the form as its answers."""

    task: str | None = None
    steps: int = DEFAULT_STEPS
    experts: int = 1
    # A channel id can be selected in the form; a ``#name`` typed in a slash command cannot
    # (Slack sends channel names unresolved there), so it is kept and used unless replaced.
    channel: str | None = None


def upload_form(name: str, metadata: str, prefill: FormPrefill | None = None) -> Block:
    """Step one: the file, what the labeler should decide, how long to train, where to notify."""
    given = prefill or FormPrefill()
    typed_channel = given.channel if given.channel and given.channel.startswith("#") else None
    notify: Block = {
        "type": "conversations_select",
        "action_id": NOTIFY_ACTION,
        "placeholder": plain_text(typed_channel or "The channel this form was opened from"),
        "filter": {"include": ["public", "private"], "exclude_bot_users": True},
    }
    if given.channel and typed_channel is None:
        notify["initial_conversation"] = given.channel
    task: Block = {
        "type": "plain_text_input",
        "action_id": TASK_ACTION,
        "multiline": True,
        "max_length": TASK_MAX_CHARS,
        "placeholder": plain_text("e.g. Does this comment attack a person or a group?"),
    }
    if given.task:
        task["initial_value"] = given.task
    notify_block: Block = {
        "type": "input",
        "block_id": NOTIFY_BLOCK,
        "optional": True,
        "label": plain_text("Send accuracy notices to"),
        "element": notify,
    }
    if typed_channel is not None:
        notify_block["hint"] = plain_text(
            f"Left empty, notices go to {typed_channel}, as the command said."
        )
    blocks: list[Block] = [
        mrkdwn_section(f"Train the labeler *`{escape_mrkdwn(name)}`* from a labelled CSV file."),
        {
            "type": "input",
            "block_id": FILE_BLOCK,
            "label": plain_text("CSV file"),
            "element": {
                "type": "file_input",
                "action_id": FILE_ACTION,
                "filetypes": ["csv", "tsv", "txt"],
                "max_files": 1,
            },
            "hint": plain_text("A header row naming the columns, one example per row."),
        },
        {
            "type": "input",
            "block_id": TASK_BLOCK,
            "label": plain_text("What should the labeler decide?"),
            "element": task,
        },
        {
            "type": "input",
            "block_id": STEPS_BLOCK,
            "label": plain_text("Training steps"),
            "element": {
                "type": "number_input",
                "action_id": STEPS_ACTION,
                "is_decimal_allowed": False,
                "initial_value": str(given.steps),
                "min_value": "1",
                "max_value": str(MAX_STEPS),
            },
            "hint": plain_text("Each step costs model calls; 3 to 5 is a good start."),
        },
        {
            "type": "input",
            "block_id": EXPERTS_BLOCK,
            "label": plain_text("Experts"),
            "element": {
                "type": "number_input",
                "action_id": EXPERTS_ACTION,
                "is_decimal_allowed": False,
                "initial_value": str(given.experts),
                "min_value": "1",
                "max_value": str(MAX_EXPERTS),
            },
            "hint": plain_text(
                "1: one rule set. More: the rows are grouped by meaning and each group gets "
                "rules of its own (each expert costs the calls of a training step)."
            ),
        },
        notify_block,
    ]
    return _modal(UPLOAD_CALLBACK, metadata, blocks, submit="Next")


def waiting_view(name: str, text: str) -> Block:
    """A view with no inputs, shown while the bot works (``text`` says on what)."""
    blocks = [
        mrkdwn_section(f":hourglass_flowing_sand: {text}"),
        mrkdwn_context(f"Labeler `{name}`"),
    ]
    return _modal(UPLOAD_CALLBACK, "{}", blocks, submit=None)


def reading_view(name: str) -> Block:
    return waiting_view(name, "Reading the file…")


def checking_view(name: str) -> Block:
    return waiting_view(name, "Checking the data…")


def problem_view(name: str, problem: str) -> Block:
    """The file cannot be used: what is wrong and how to fix it; the form closes."""
    blocks = [
        mrkdwn_section(f":warning: {escape_mrkdwn(problem)}"),
        mrkdwn_context(f"Fix the file, then run `/align train {name}` again."),
    ]
    return _modal(UPLOAD_CALLBACK, "{}", blocks, submit=None)


def started_view(name: str, channel: str) -> Block:
    blocks = [
        mrkdwn_section(
            f":white_check_mark: Training *`{escape_mrkdwn(name)}`* has started. Progress and "
            f"the report appear in <#{channel}>."
        )
    ]
    return _modal(UPLOAD_CALLBACK, "{}", blocks, submit=None)


def _option(column: str) -> Block:
    shown = column if len(column) <= OPTION_TEXT_LIMIT else column[: OPTION_TEXT_LIMIT - 1] + "…"
    return {"text": plain_text(shown), "value": column}


def columns_form(
    name: str,
    file_name: str,
    header: Sequence[str],
    metadata: str,
    problem: str | None = None,
    label: str | None = None,
    inputs: Sequence[str] = (),
    threshold: float | None = None,
) -> Block:
    """Step two: pick the label column and the input columns from the file's header, and
    (only for a label column of scores) the threshold that turns scores into labels."""
    # An option's value carries the column name and Slack caps it at 150 characters: longer
    # names cannot be offered (the form says so) rather than making Slack refuse the form.
    offered = [c for c in header if c and len(c) <= OPTION_VALUE_LIMIT][:MAX_COLUMN_OPTIONS]
    options = [_option(column) for column in offered]
    label_select: Block = {
        "type": "static_select",
        "action_id": LABEL_ACTION,
        "placeholder": plain_text("The column with the right answers"),
        "options": options,
    }
    if label in offered:
        label_select["initial_option"] = _option(label)
    inputs_select: Block = {
        "type": "multi_static_select",
        "action_id": INPUTS_ACTION,
        "placeholder": plain_text("The text the labeler reads"),
        "options": options,
    }
    chosen = [column for column in inputs if column in offered]
    if chosen:
        inputs_select["initial_options"] = [_option(column) for column in chosen]
    blocks: list[Block] = [
        mrkdwn_section(
            f"*`{escape_mrkdwn(file_name)}`* has {len(header)} columns. Which one holds the "
            "labels, and which ones should the labeler read?"
        )
    ]
    if problem:
        blocks.append(mrkdwn_section(f":warning: {escape_mrkdwn(problem)}"))
    blocks += [
        {
            "type": "input",
            "block_id": LABEL_BLOCK,
            "label": plain_text("Label column"),
            "element": label_select,
        },
        {
            "type": "input",
            "block_id": INPUTS_BLOCK,
            "label": plain_text("Input columns"),
            "element": inputs_select,
        },
        _threshold_input(threshold),
    ]
    too_long = sum(1 for column in header if len(column) > OPTION_VALUE_LIMIT)
    if too_long:
        blocks.append(
            mrkdwn_context(
                f"{too_long} column name{'s are' if too_long > 1 else ' is'} longer than "
                f"{OPTION_VALUE_LIMIT} characters and cannot be chosen here: shorten "
                "them in the file, or upload it with `@alignbot train`."
            )
        )
    if len([column for column in header if column]) - too_long > len(offered):
        blocks.append(
            mrkdwn_context(f"Only the first {MAX_COLUMN_OPTIONS} columns can be chosen here.")
        )
    return _modal(COLUMNS_CALLBACK, metadata, blocks, submit="Train")


def _threshold_input(threshold: float | None) -> Block:
    # Plain text, not a number input: the bot checks it (and reads a decimal comma) and says
    # what is wrong in the form, the same way as for `threshold=` typed in a message.
    element: Block = {
        "type": "plain_text_input",
        "action_id": THRESHOLD_ACTION,
        "max_length": THRESHOLD_MAX_CHARS,
        "placeholder": plain_text("e.g. 0.5"),
    }
    if threshold is not None:
        element["initial_value"] = f"{threshold:g}"
    return {
        "type": "input",
        "block_id": THRESHOLD_BLOCK,
        "optional": True,
        "label": plain_text("Score threshold"),
        "element": element,
        "hint": plain_text(
            "Only when the label column holds scores (such as 0.83): True where the score is "
            "at least this number, False otherwise. Leave empty for a column of labels."
        ),
    }


@dataclass(frozen=True)
class UploadForm:
    """What step one's submission holds."""

    file_ids: list[str]
    task: str
    steps: int | None  # None: not a whole number in range
    notify_channel: str | None
    experts: int | None = 1  # None: not a whole number in range


@dataclass(frozen=True)
class ColumnsForm:
    label: str | None
    inputs: list[str]
    threshold_text: str = ""  # as typed; empty when the label column holds labels

    @property
    def threshold(self) -> float | None:
        """The threshold typed, or None when none was (or it is not a number)."""
        try:
            return read_threshold(self.threshold_text) if self.threshold_text else None
        except ValueError:
            return None


def _state(view: Mapping[str, Any], block: str, action: str) -> dict[str, Any]:
    values = view.get("state", {}).get("values", {})
    found = values.get(block, {}).get(action)
    return found if isinstance(found, dict) else {}


def read_upload_form(view: Mapping[str, Any]) -> UploadForm:
    files = _state(view, FILE_BLOCK, FILE_ACTION).get("files") or []
    steps_text = str(_state(view, STEPS_BLOCK, STEPS_ACTION).get("value") or "").strip()
    steps = int(steps_text) if steps_text.isdigit() else None
    if steps is not None and not 1 <= steps <= MAX_STEPS:
        steps = None
    experts_text = str(_state(view, EXPERTS_BLOCK, EXPERTS_ACTION).get("value") or "1")
    try:
        experts: int | None = read_experts(experts_text)
    except ValueError:
        experts = None
    return UploadForm(
        file_ids=[str(item["id"]) for item in files if isinstance(item, dict) and item.get("id")],
        task=str(_state(view, TASK_BLOCK, TASK_ACTION).get("value") or "").strip(),
        steps=steps,
        notify_channel=_state(view, NOTIFY_BLOCK, NOTIFY_ACTION).get("selected_conversation"),
        experts=experts,
    )


def upload_form_errors(form: UploadForm, state: Mapping[str, Any]) -> dict[str, str]:
    """What to fix in step one; ``state`` is what the form carries from the command."""
    errors = {}
    if not form.file_ids:
        errors[FILE_BLOCK] = "Choose a CSV file."
    if not form.task:
        errors[TASK_BLOCK] = "Say what the labeler should decide."
    elif (over := metadata_overflow(carried_to_step_two(state, form, "F" * FILE_ID_ROOM))) > 0:
        errors[TASK_BLOCK] = (
            f"Too long to carry to the next step by {over:,} characters (quotes, backslashes "
            "and line breaks count twice there). Shorten the task."
        )
    if form.steps is None:
        errors[STEPS_BLOCK] = f"A whole number from 1 to {MAX_STEPS}."
    if form.experts is None:
        errors[EXPERTS_BLOCK] = f"A whole number from 1 to {MAX_EXPERTS}."
    return errors


def carried_to_step_two(state: Mapping[str, Any], form: UploadForm, file_id: str) -> dict[str, Any]:
    """What step two needs: the command's settings, the chosen file and step one's answers."""
    return {
        **state,
        "file_id": file_id,
        "task": form.task,
        "steps": form.steps,
        "experts": form.experts,
        # A channel chosen in the form wins over one typed with the command.
        "notify": form.notify_channel or state.get("typed_notify"),
    }


def metadata_overflow(state: Mapping[str, Any]) -> int:
    """By how many characters ``state`` overflows a form's private_metadata (0 or less: fits)."""
    return len(metadata(**state)) - METADATA_MAX_CHARS


def read_columns_form(view: Mapping[str, Any]) -> ColumnsForm:
    selected = _state(view, LABEL_BLOCK, LABEL_ACTION).get("selected_option") or {}
    chosen = _state(view, INPUTS_BLOCK, INPUTS_ACTION).get("selected_options") or []
    return ColumnsForm(
        label=str(selected["value"]) if selected.get("value") else None,
        inputs=[str(option["value"]) for option in chosen if option.get("value")],
        threshold_text=str(
            _state(view, THRESHOLD_BLOCK, THRESHOLD_ACTION).get("value") or ""
        ).strip(),
    )


def columns_form_errors(form: ColumnsForm) -> dict[str, str]:
    errors = {}
    if form.label is None:
        errors[LABEL_BLOCK] = "Choose the column with the labels."
    if not form.inputs:
        errors[INPUTS_BLOCK] = "Choose at least one column for the labeler to read."
    elif form.label in form.inputs:
        errors[INPUTS_BLOCK] = "The label column cannot be an input: the labeler would see it."
    if form.threshold_text and form.threshold is None:
        errors[THRESHOLD_BLOCK] = (
            f"'{form.threshold_text[:THRESHOLD_MAX_CHARS]}' is not a number. Type one such as "
            "0.5, or leave it empty when the label column holds labels."
        )
    return errors


def metadata(**state: Any) -> str:
    """The JSON a form carries to its next step (Slack keeps 3000 characters)."""
    # Compact and unescaped: a task in a non-Latin script would otherwise take six characters
    # per letter and push the metadata past Slack's limit.
    return json.dumps(state, ensure_ascii=False, separators=(",", ":"))


def read_metadata(view: Mapping[str, Any]) -> dict[str, Any]:
    loaded = json.loads(view.get("private_metadata") or "{}")
    return loaded if isinstance(loaded, dict) else {}
