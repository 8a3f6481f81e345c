"""The feedback form opened from a message shortcut or an answer's "Feedback" menu.

One form per kind (critique, kudos, rewrite), worded by the kind's entry in
``bot.feedback.kinds``: kudos and critiques start empty under a preview of the answer; a rewrite
starts as the answer itself, to be edited into the one the person wanted. Slack caps a text
field (its value and its initial value) at 3,000 characters, so a longer answer is not filled
in, and the form says why.

The form carries only a token (``private_metadata``); what it is about (run, candidate, kind,
person) waits in Redis under that token, so a submission cannot be pointed at another run.
The submission goes through ``learn_and_announce``, as reactions and replies do, and is applied
once: its token is claimed with ``SET NX``, so a repeated delivery changes nothing more.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

import redis
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.feedback.answer_request import AnswerRequest
from bot.feedback.kinds import FEEDBACK_KINDS
from bot.feedback.learning import FeedbackTargetGoneError, learn_and_announce, load_answer
from bot.feedback.offers import new_token
from bot.feedback.views import quoted
from bot.keys import Workspace
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.blocks import Block, mrkdwn_context, mrkdwn_section, plain_text
from bot.slack.external import REFUSAL as EXTERNAL_REFUSAL
from bot.slack.origin import slack_error_code
from bot.slack.private import tell_privately

log = logging.getLogger(__name__)

FORM_CALLBACK = "alignbot_feedback_form"
FORM_BLOCK = "feedback"
FORM_INPUT = "text"
# Slack's cap on a plain_text_input's value, and on its initial value.
FORM_TEXT_LIMIT = 3000
# A form left open longer than this has lost what it was about; submitting it says so.
FORM_TTL_SECONDS = 24 * 60 * 60
# Room for the answer's preview above a kudos or critique field.
PREVIEW_LIMIT = 2500


@dataclass(frozen=True)
class FeedbackForm:
    """What one open form is about."""

    token: str
    kind: str
    run_id: str
    candidate: int
    channel: str
    thread_ts: str
    user: str  # the person it was opened for

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: str) -> FeedbackForm:
        return cls(**json.loads(raw))


class FormBook:
    """Open feedback forms of one workspace."""

    def __init__(self, client: redis.Redis, workspace: Workspace) -> None:
        self.redis = client
        self.keys = workspace.keys

    def open(self, form: FeedbackForm) -> None:
        self.redis.set(self.keys.pending(form.token), form.to_json(), ex=FORM_TTL_SECONDS)

    def forget(self, token: str) -> None:
        self.redis.delete(self.keys.pending(token))

    def claim(self, token: str) -> tuple[bool, FeedbackForm | None]:
        """Claim the one submission of the form behind ``token``: whether this is the first,
        and the form (None when it expired or never existed)."""
        used = f"{self.keys.pending(token)}:submitted"
        if not self.redis.set(used, "1", nx=True, ex=FORM_TTL_SECONDS):
            return False, None
        raw = self.redis.get(self.keys.pending(token))
        if raw is None:
            return True, None
        self.redis.delete(self.keys.pending(token))
        return True, FeedbackForm.from_json(str(raw))


def feedback_form_modal(kind: str, answer: str, token: str) -> dict[str, Any]:
    """The form of ``kind`` about ``answer``; a rewrite's field starts as the answer."""
    spec = FEEDBACK_KINDS.get(kind)
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": FORM_INPUT,
        "multiline": True,
        "max_length": FORM_TEXT_LIMIT,
    }
    blocks: list[Block] = []
    if not spec.form_prefilled:
        blocks.append(mrkdwn_section(f"*The answer:*\n{quoted(answer, PREVIEW_LIMIT)}"))
    elif len(answer) > FORM_TEXT_LIMIT:
        blocks.append(
            mrkdwn_section(
                f"This answer is {len(answer):,} characters, more than a form field holds "
                f"({FORM_TEXT_LIMIT:,}), so it is not filled in below. Write the answer you "
                f"wanted, or reply in the run's thread with `{spec.prefix}: ...` instead."
            )
        )
        blocks.append(mrkdwn_context(f"It begins:\n{quoted(answer, 600)}"))
    elif answer.strip():
        element["initial_value"] = answer
    blocks.append(
        {
            "type": "input",
            "block_id": FORM_BLOCK,
            "label": plain_text(spec.form_label),
            "element": element,
        }
    )
    if spec.form_prefilled:
        blocks.append(mrkdwn_context("What you change becomes one principle of the prompt."))
    return {
        "type": "modal",
        "callback_id": FORM_CALLBACK,
        "private_metadata": token,
        "title": plain_text(spec.form_title),
        "submit": plain_text("Send"),
        "close": plain_text("Cancel"),
        "blocks": blocks,
    }


def open_feedback_form(kind: str) -> Callable[[AnswerRequest], None]:
    """The ``start`` of the answer action of ``kind``: open its form about the chosen answer."""

    def start(request: AnswerRequest) -> None:
        origin, ref = request.origin, request.answer
        form = FeedbackForm(
            new_token(),
            kind,
            ref.run.run_id,
            ref.candidate,
            origin.channel,
            ref.run.thread_ts,
            origin.user,
        )
        book = FormBook(request.services.redis, origin.workspace)
        book.open(form)
        try:
            # Now, in the listener: the trigger id expires three seconds after the choice.
            origin.client.views_open(
                trigger_id=origin.trigger_id, view=feedback_form_modal(kind, ref.answer, form.token)
            )
        except SlackApiError as error:
            book.forget(form.token)
            code = slack_error_code(error)
            log.warning("could not open the %s form: %s", kind, code)
            prefix = FEEDBACK_KINDS.get(kind).prefix
            origin.reply_private(
                block_kit.error(
                    f"The form could not be opened ({code}). Try again, or reply in the run's "
                    f"thread with `{prefix}: ...`."
                )
            )

    return start


def submitted_text(view: Mapping[str, Any]) -> str:
    values = (view.get("state") or {}).get("values") or {}
    field = (values.get(FORM_BLOCK) or {}).get(FORM_INPUT) or {}
    return str(field.get("value") or "").strip()


def _initial_text(view: Mapping[str, Any]) -> str:
    for block in view.get("blocks") or []:
        if isinstance(block, dict) and block.get("block_id") == FORM_BLOCK:
            return str((block.get("element") or {}).get("initial_value") or "").strip()
    return ""


def text_problem(view: Mapping[str, Any]) -> str | None:
    """What is wrong with a submitted form's text, shown under the field; None when it is fine.

    Checked on the submission alone (no Redis), before the ack that closes the form.
    """
    text = submitted_text(view)
    if not text:
        return "Write something first."
    if len(text) > FORM_TEXT_LIMIT:
        return (
            f"This is {len(text):,} characters; the form takes at most {FORM_TEXT_LIMIT:,}. "
            "Shorten it."
        )
    if text == _initial_text(view):
        return "This is the answer unchanged: edit it into the answer you wanted."
    return None


EXPIRED_TEXT = (
    "That feedback form was open too long and lost track of its answer, so nothing changed. "
    "Open it again from the answer's *Feedback* menu or its shortcut."
)


def _tell_directly(client: WebClient, user: str, text: str) -> None:
    # A form's submission names no channel, so an expired one is answered in a direct message.
    try:
        client.chat_postMessage(channel=user, **block_kit.error(text).as_kwargs())
    except SlackApiError as error:
        log.info("could not tell %s: %s", user, slack_error_code(error))


def submit_feedback(
    services: Services,
    workspace: Workspace,
    client: WebClient,
    token: str,
    user: str,
    text: str,
    external: bool = False,
) -> None:
    """Turn a submitted form into feedback, once (in the background, after the ack)."""
    first, form = FormBook(services.redis, workspace).claim(token)
    if not first:
        log.info("a feedback form was submitted again; applied once already")
        return
    if form is None:
        _tell_directly(client, user, EXPIRED_TEXT)
        return
    if form.user != user:
        log.warning("a feedback form of %s was submitted by %s; ignored", form.user, user)
        return
    if external and not services.settings.allow_external_users:
        tell_privately(
            client, form.channel, user, form.thread_ts, block_kit.error(EXTERNAL_REFUSAL)
        )
        return
    try:
        ref = load_answer(services, workspace, form.run_id, form.candidate)
    except FeedbackTargetGoneError as error:
        tell_privately(client, form.channel, user, form.thread_ts, block_kit.error(f"{error}."))
        return
    learn_and_announce(services, workspace, client, ref, form.kind, text, user)
