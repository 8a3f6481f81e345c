""" "Save as example" on an answer: an entry of the answer actions (``bot.feedback.actions``).

Chosen from an answer's "Feedback" menu or as a message shortcut, it saves at once (no form):
the run's input values become an example of its prompt, and a rewrite given in that thread
becomes the example's ideal answer (``save_run_answer``). The outcome is told privately, in the
run's thread.
"""

from __future__ import annotations

import logging

import redis

from bot.examples.handlers import save_run_answer
from bot.feedback.answer_request import AnswerRequest
from bot.slack import blocks as block_kit

log = logging.getLogger(__name__)

NAME = "example"
LABEL = "Save as example"
DESCRIPTION = "Keep this answer's input as an example for comparing prompt versions"


def save_as_example(request: AnswerRequest) -> None:
    """Save the chosen answer's run as an example; quick (Redis only), so done in the listener."""
    origin, ref = request.origin, request.answer
    try:
        told = save_run_answer(request.services, origin, ref.run, ref.candidate)
    except redis.RedisError as error:
        log.warning("could not save an example of %s: %s", ref.run.prompt_name, error)
        told = block_kit.error("I could not reach my storage, so nothing was saved. Try again.")
    origin.reply_private(told)
