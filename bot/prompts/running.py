"""Running a prompt in Slack: check the variables, post the run, ask the model, post the answers.

The root message goes up first and a placeholder waits in its thread while the model works. A
model that streams shows its answers as they are written (``bot.prompts.streamed_answers``);
otherwise the first piece of the answer replaces the placeholder and the rest follow as replies.
The run is saved only once every piece is posted, so a failure at any step leaves nothing behind
in Redis; and when that save fails, the posted pieces are withdrawn, because feedback on an
answer whose run was never saved could not be applied.
"""

from __future__ import annotations

import logging

import redis
from slack_sdk.errors import SlackApiError

from alignment.errors import AlignmentError
from alignment.model_helper import ModelHelper, SupportsStreaming
from alignment.single_run import AlignableSingleRun, ConstitutionalPrompt
from bot.budgets import OverBudgetError
from bot.commands.prompts import USAGE, RunPrompt
from bot.models.tuned import tuned
from bot.observability.context import bind_log_fields
from bot.prompts import views
from bot.prompts.handlers import INVITE_HINT, NOT_IN_CHANNEL_CODES, form_metadata, open_form
from bot.prompts.runs import (
    AnswerMessage,
    RunRecord,
    RunStore,
    answer_metadata,
    new_run_id,
    now_iso,
)
from bot.prompts.store import PromptStore, PromptStoreError, PromptVersion
from bot.prompts.streamed_answers import AnswerStreamFailed, post_streamed_answers
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.failure_text import failure_reason
from bot.slack.origin import Origin, slack_error_code

log = logging.getLogger(__name__)


def run_model(services: Services, record: PromptVersion) -> ModelHelper:
    """The model that runs ``record``: its own settings, the workspace default where unset."""
    settings = record.settings
    helper = services.model(settings.model) if settings.model else services.prompt_model
    return tuned(helper, settings.temperature, settings.max_tokens)


def variable_problem(record: PromptVersion, given: dict[str, str]) -> str | None:
    """Why ``given`` cannot run ``record`` for a reason no form can fix (unknown names)."""
    known = record.variables
    unknown = [name for name in given if name not in known]
    if not unknown:
        return None
    listed = ", ".join(f"`{name}`" for name in known) or "none"
    return (
        f"`{record.name}` has no variable {', '.join(f'`{u}`' for u in unknown)}. "
        f"Its variables: {listed}. Usage: {views.run_example(record)}"
    )


def missing_variables(record: PromptVersion, given: dict[str, str]) -> list[str]:
    # An empty value is as good as none: the model would get a hole in its prompt.
    return [name for name in record.variables if not given.get(name, "").strip()]


def start_run(services: Services, origin: Origin, command: RunPrompt) -> None:
    """``/align run``: run now when every variable is given, else ask for the rest in a form."""
    try:
        record = PromptStore(services.redis, origin.workspace).current(command.name)
    except PromptStoreError as error:
        origin.reply_private(block_kit.error(str(error)))
        return
    if problem := variable_problem(record, command.variables):
        origin.reply_private(block_kit.error(problem))
        return
    missing = missing_variables(record, command.variables)
    # Past a form's limits (very many or very long variable names) the error below says
    # which values the command needs instead.
    if missing and origin.can_open_forms and views.form_holds(record.variables):
        metadata = form_metadata(origin, name=record.name, candidates=command.candidates)
        form = views.run_variables_modal(
            record.name, record.version, record.variables, command.variables, metadata
        )
        open_form(origin, form)
        return
    if missing:
        origin.reply_private(
            block_kit.error(
                f"Give a value for {', '.join(f'`{m}`' for m in missing)}: "
                f"{views.run_example(record)}. "
                f"Quote values with spaces. Usage: `{USAGE['run']}`"
            )
        )
        return
    execute_run(services, origin, record, command.variables, command.candidates)


def execute_run(
    services: Services,
    origin: Origin,
    record: PromptVersion,
    variables: dict[str, str],
    candidates: int,
) -> RunRecord | None:
    """Post the run, get the answers, post them, then save the run. None when it failed."""
    try:
        # One call per candidate, taken before anything is posted.
        services.budgets.spend(origin.workspace, origin.user, candidates)
    except OverBudgetError as refused:
        origin.reply_private(block_kit.error(refused.explain()))
        return None
    client, channel = origin.client, origin.channel
    values = {name: variables[name] for name in record.variables}
    bind_log_fields(prompt=record.name)
    # Read now, beside the version: feedback on this run must reach this prompt, not a later
    # one given the same name after a delete.
    prompt_id = PromptStore(services.redis, origin.workspace).identity(record.name)
    root_view = views.run_root(record.name, record.version, values, origin.user, candidates)
    try:
        root = client.chat_postMessage(
            channel=channel, thread_ts=origin.thread_ts, **root_view.as_kwargs()
        )
        thread_ts = origin.thread_ts or str(root["ts"])
        placeholder = client.chat_postMessage(
            channel=channel, thread_ts=thread_ts, **views.thinking(candidates).as_kwargs()
        )
    except SlackApiError as error:
        _report_post_failure(origin, error)
        return None

    try:
        # Inside the try: building the model can fail too (a missing key, an unknown model).
        model = run_model(services, record)
        runner = AlignableSingleRun(
            model,
            data=ConstitutionalPrompt(
                preamble=record.prompt.preamble,
                original_preamble=record.prompt.original_preamble,
                principles=list(record.prompt.principles),
            ),
        )
        rendered = runner.render_input(values).text
        run_id = new_run_id()
        bind_log_fields(run=run_id)
        if isinstance(model, SupportsStreaming):
            # Answers show as they are written; a model that cannot stream is waited for.
            streams = runner.stream_input(values, candidate_count=candidates)
            answers, messages = post_streamed_answers(
                origin, thread_ts, str(placeholder["ts"]), run_id, streams
            )
        else:
            turns = runner.send_input(
                values, generate_multiple_candidates=candidates > 1, candidate_count=candidates
            )
            answers = [turn.text for turn in (turns if isinstance(turns, list) else [turns])]
            messages = _post_answers(origin, thread_ts, str(placeholder["ts"]), run_id, answers)
    except AnswerStreamFailed as failure:  # the thread already shows what failed
        _report_stream_failure(origin, record, values, str(root["ts"]), failure)
        return None
    except AlignmentError as error:  # the model (or building it) failed: say why, save nothing
        log.warning("model failed on %s: %s", record.name, error, exc_info=True)
        _report_model_failure(
            origin, record, values, str(root["ts"]), str(placeholder["ts"]), error
        )
        return None
    except SlackApiError as error:
        reason = f"Slack refused the answer ({slack_error_code(error)})"
        log.warning("posting the answer failed: %s", reason)
        _mark_failed(origin, str(placeholder["ts"]), reason)
        origin.reply_private(block_kit.error(f"{reason}; the run was not saved. Try again."))
        return None
    except BaseException:
        # Unexpected: the command's edge tells the person; the thread must not keep "Thinking".
        _mark_failed(origin, str(placeholder["ts"]), "something went wrong on my side")
        raise

    run = RunRecord(
        run_id=run_id,
        prompt_name=record.name,
        version=record.version,
        variables=values,
        rendered_input=rendered,
        answers=answers,
        user=origin.user,
        created_at=now_iso(),
        channel=channel,
        thread_ts=thread_ts,
        root_ts=str(root["ts"]),
        messages=messages,
        prompt_id=prompt_id,
    )
    try:
        RunStore(services.redis, origin.workspace).save(run)
    except redis.RedisError as error:
        log.warning("saving the run failed, withdrawing its answers: %s", error)
        reason = "the run could not be saved, so feedback on this answer would be lost"
        for message in messages:
            _mark_failed(origin, message.ts, reason)
        origin.reply_private(
            block_kit.error("Saving the run failed, so its answer was withdrawn. Try again.")
        )
        return None
    log.info("run saved: %d answer(s) posted", len(answers))
    return run


def _post_answers(
    origin: Origin, thread_ts: str, placeholder_ts: str, run_id: str, answers: list[str]
) -> list[AnswerMessage]:
    client, channel = origin.client, origin.channel
    posted: list[AnswerMessage] = []
    for candidate, answer in enumerate(answers):
        metadata = answer_metadata(run_id, candidate)
        for part, message in enumerate(views.answer_messages(answer, candidate, len(answers))):
            if not posted:
                client.chat_update(
                    channel=channel, ts=placeholder_ts, metadata=metadata, **message.as_kwargs()
                )
                ts = placeholder_ts
            else:
                response = client.chat_postMessage(
                    channel=channel, thread_ts=thread_ts, metadata=metadata, **message.as_kwargs()
                )
                ts = str(response["ts"])
            posted.append(AnswerMessage(ts=ts, candidate=candidate, part=part))
    return posted


def _mark_failed(origin: Origin, placeholder_ts: str, reason: str) -> None:
    """Replace the placeholder, so the thread does not look like it is still thinking."""
    failed = views.run_failed_placeholder(reason)
    try:
        origin.client.chat_update(channel=origin.channel, ts=placeholder_ts, **failed.as_kwargs())
    except SlackApiError as error:
        log.warning("could not mark the run as failed: %s", slack_error_code(error))


def _report_post_failure(origin: Origin, error: SlackApiError) -> None:
    code = slack_error_code(error)
    log.info("could not post a run in %s: %s", origin.channel, code)
    if code in NOT_IN_CHANNEL_CODES:
        origin.reply_private(block_kit.error(INVITE_HINT))
    else:
        origin.reply_private(
            block_kit.error(f"Slack refused the message ({code}); nothing was run.")
        )


def _report_stream_failure(
    origin: Origin,
    record: PromptVersion,
    values: dict[str, str],
    root_ts: str,
    failure: AnswerStreamFailed,
) -> None:
    root = views.run_root_failed(record.name, record.version, values, origin.user)
    try:
        origin.client.chat_update(channel=origin.channel, ts=root_ts, **root.as_kwargs())
    except SlackApiError as slack_error:
        log.warning("could not mark the run as failed: %s", slack_error_code(slack_error))
    hint = (
        " If it keeps failing, check the model settings (ALIGN_MODEL and its API key)."
        if failure.model_failed
        else ""
    )
    origin.reply_private(
        block_kit.error(
            f"The answer to `{record.name}` failed part-way: {failure.reason}\nWhat arrived is "
            f"left in the thread, marked as failed; the run was not saved. Try again.{hint}"
        )
    )


def _report_model_failure(
    origin: Origin,
    record: PromptVersion,
    values: dict[str, str],
    root_ts: str,
    placeholder_ts: str,
    error: Exception,
) -> None:
    reason = failure_reason(error)
    _mark_failed(origin, placeholder_ts, f"The model failed: {reason}")
    root = views.run_root_failed(record.name, record.version, values, origin.user)
    try:
        origin.client.chat_update(channel=origin.channel, ts=root_ts, **root.as_kwargs())
    except SlackApiError as slack_error:
        log.warning("could not mark the run as failed: %s", slack_error_code(slack_error))
    origin.reply_private(
        block_kit.error(
            f"The model failed on `{record.name}`: {reason}\nNothing was saved. Try the run "
            "again; if it keeps failing, check the model settings (ALIGN_MODEL and its API key)."
        )
    )
