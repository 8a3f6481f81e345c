"""Slack's documented size limits for messages, modals and App Home, checked over any payload.

Real Slack rejects an over-limit message with ``msg_too_long`` (text) or ``invalid_blocks``
(blocks) and an over-limit view with ``invalid_arguments``. The emulator calls these checks on
every post, update and view, so each end-to-end test also proves the bot stays within them; view
builders' own tests call them directly with oversized data.
"""

from __future__ import annotations

from typing import Any

MESSAGE_TEXT_MAX = 40_000
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
SECTION_TEXT_MAX = 3_000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2_000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2_000
ID_MAX = 255
VIEW_TITLE_MAX = 24
PRIVATE_METADATA_MAX = 3_000
INPUT_LABEL_MAX = 2_000
SELECT_OPTIONS_MAX = 100
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OVERFLOW_OPTIONS = range(2, 6)  # an overflow menu holds 2 to 5 options
# A plain_text_input's max_length, and so its value and initial value, is at most 3000.
TEXT_INPUT_MAX = 3_000
# One markdown block's text, and the text of all markdown blocks in one message together
# (https://docs.slack.dev/reference/block-kit/blocks/markdown-block).
MARKDOWN_TEXT_MAX = 12_000
MARKDOWN_TOTAL_PREFIX = "markdown blocks together"


def _text_of(obj: Any) -> str:
    if isinstance(obj, dict):
        return str(obj.get("text", ""))
    return ""


def _check_length(problems: list[str], where: str, value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        problems.append(f"{where}: {len(value)} chars > {limit}")


def _check_option(problems: list[str], where: str, option: Any) -> None:
    if not isinstance(option, dict):
        return
    _check_length(problems, f"{where} option text", _text_of(option.get("text")), OPTION_TEXT_MAX)
    _check_length(problems, f"{where} option value", option.get("value"), OPTION_VALUE_MAX)


def _element_problems(element: Any, where: str) -> list[str]:
    problems: list[str] = []
    if not isinstance(element, dict):
        return problems
    _check_length(problems, f"{where} action_id", element.get("action_id"), ID_MAX)
    kind = element.get("type")
    if kind == "button":
        _check_length(
            problems, f"{where} button text", _text_of(element.get("text")), BUTTON_TEXT_MAX
        )
        _check_length(problems, f"{where} button value", element.get("value"), BUTTON_VALUE_MAX)
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options.extend(group.get("options") or [])
    if kind in {"static_select", "multi_static_select"} and len(options) > SELECT_OPTIONS_MAX:
        problems.append(f"{where}: {len(options)} options > {SELECT_OPTIONS_MAX}")
    if kind == "overflow" and len(options) not in OVERFLOW_OPTIONS:
        problems.append(f"{where}: an overflow menu holds 2 to 5 options, not {len(options)}")
    if kind == "plain_text_input":
        problems += _text_input_problems(element, where)
    for option in options:
        _check_option(problems, where, option)
    if kind in {"static_select", "multi_static_select"}:
        for initial in [element.get("initial_option"), *(element.get("initial_options") or [])]:
            _check_option(problems, f"{where} initial", initial)
    return problems


def _text_input_problems(element: dict[str, Any], where: str) -> list[str]:
    problems: list[str] = []
    max_length = element.get("max_length", TEXT_INPUT_MAX)
    if not isinstance(max_length, int) or not 0 < max_length <= TEXT_INPUT_MAX:
        problems.append(f"{where} max_length: {max_length!r} is not 1 to {TEXT_INPUT_MAX}")
        max_length = TEXT_INPUT_MAX
    initial = element.get("initial_value")
    if initial is not None and not isinstance(initial, str):
        problems.append(f"{where} initial_value: must be a string")
    _check_length(problems, f"{where} initial_value", initial, max_length)
    return problems


def block_problems(block: Any, where: str = "block") -> list[str]:
    """Every way one block breaks Slack's limits (empty when it is fine)."""
    problems: list[str] = []
    if not isinstance(block, dict):
        return [f"{where}: not an object"]
    kind = block.get("type")
    where = f"{where} ({kind})"
    _check_length(problems, f"{where} block_id", block.get("block_id"), ID_MAX)
    if kind == "section":
        _check_length(problems, f"{where} text", _text_of(block.get("text")), SECTION_TEXT_MAX)
        fields = block.get("fields") or []
        if len(fields) > SECTION_FIELDS_MAX:
            problems.append(f"{where}: {len(fields)} fields > {SECTION_FIELDS_MAX}")
        for field in fields:
            _check_length(problems, f"{where} field", _text_of(field), SECTION_FIELD_TEXT_MAX)
        if block.get("accessory") is not None:
            problems += _element_problems(block["accessory"], f"{where} accessory")
    elif kind == "markdown":
        # Unlike a section, its text is a plain string of standard Markdown, not a text object.
        text = block.get("text")
        if not isinstance(text, str) or not text:
            problems.append(f"{where}: text must be a non-empty string")
        _check_length(problems, f"{where} text", text, MARKDOWN_TEXT_MAX)
    elif kind == "header":
        _check_length(problems, f"{where} text", _text_of(block.get("text")), HEADER_TEXT_MAX)
    elif kind == "context":
        elements = block.get("elements") or []
        if len(elements) > CONTEXT_ELEMENTS_MAX:
            problems.append(f"{where}: {len(elements)} elements > {CONTEXT_ELEMENTS_MAX}")
        for element in elements:
            _check_length(problems, f"{where} element", _text_of(element), SECTION_TEXT_MAX)
    elif kind == "actions":
        elements = block.get("elements") or []
        if len(elements) > ACTIONS_ELEMENTS_MAX:
            problems.append(f"{where}: {len(elements)} elements > {ACTIONS_ELEMENTS_MAX}")
        for element in elements:
            problems += _element_problems(element, where)
    elif kind == "input":
        _check_length(problems, f"{where} label", _text_of(block.get("label")), INPUT_LABEL_MAX)
        _check_length(problems, f"{where} hint", _text_of(block.get("hint")), INPUT_LABEL_MAX)
        problems += _element_problems(block.get("element"), where)
    return problems


def blocks_problems(blocks: Any, max_blocks: int) -> list[str]:
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return ["blocks: not a list"]
    problems: list[str] = []
    if len(blocks) > max_blocks:
        problems.append(f"{len(blocks)} blocks > {max_blocks}")
    for index, block in enumerate(blocks):
        problems += block_problems(block, f"block {index}")
    return problems


def _markdown_texts(blocks: Any) -> list[str]:
    if not isinstance(blocks, list):
        return []
    return [
        str(block.get("text") or "")
        for block in blocks
        if isinstance(block, dict) and block.get("type") == "markdown"
    ]


def message_problems(text: Any, blocks: Any) -> list[str]:
    """Limits of ``chat.postMessage`` / ``chat.postEphemeral`` / ``chat.update``."""
    problems: list[str] = []
    _check_length(problems, "message text", text, MESSAGE_TEXT_MAX)
    problems += blocks_problems(blocks, MESSAGE_BLOCKS_MAX)
    total = sum(len(markdown) for markdown in _markdown_texts(blocks))
    if total > MARKDOWN_TEXT_MAX:
        problems.append(f"{MARKDOWN_TOTAL_PREFIX}: {total} chars > {MARKDOWN_TEXT_MAX}")
    return problems


def view_problems(view: Any) -> list[str]:
    """Limits of a modal (``views.open`` / ``views.update``) or an App Home (``views.publish``)."""
    if not isinstance(view, dict):
        return ["view: not an object"]
    problems: list[str] = []
    if view.get("type") == "modal":
        for name in ("title", "submit", "close"):
            _check_length(problems, f"view {name}", _text_of(view.get(name)), VIEW_TITLE_MAX)
    meta = view.get("private_metadata")
    _check_length(problems, "view private_metadata", meta, PRIVATE_METADATA_MAX)
    _check_length(problems, "view callback_id", view.get("callback_id"), ID_MAX)
    if _markdown_texts(view.get("blocks")):
        # Slack offers the markdown block in messages only: a modal or App Home is refused.
        problems.append("view: markdown blocks are only allowed in messages")
    return problems + blocks_problems(view.get("blocks"), VIEW_BLOCKS_MAX)


def assert_message_fits(text: Any, blocks: Any) -> None:
    problems = message_problems(text, blocks)
    assert not problems, "message breaks Slack's limits:\n" + "\n".join(problems)


def assert_view_fits(view: Any) -> None:
    problems = view_problems(view)
    assert not problems, "view breaks Slack's limits:\n" + "\n".join(problems)
