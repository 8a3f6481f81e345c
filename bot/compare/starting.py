"""Starting a comparison: check what is compared, spend the budget, post progress, queue the job.

Everything that can be refused is checked before anything is posted or spent: the prompt and
both versions exist and differ, there are examples and each fills both versions' variables, and
the model calls the comparison will make (answers and verdicts not in the cache) fit the
person's and the workspace's budgets.
"""

from __future__ import annotations

from dataclasses import replace

from slack_sdk.errors import SlackApiError

from alignment.compare import planned_calls
from alignment.errors import TemplateError
from alignment.single_run import AlignableSingleRun
from bot.budgets import OverBudgetError
from bot.compare import views
from bot.compare.answer_cache import RedisAnswerCache
from bot.compare.job import enqueue_comparison, new_job_id
from bot.compare.state import Comparison, ComparisonStore, new_compare_id
from bot.examples.store import ExampleStore
from bot.labelers.jobs.start import runtime_for
from bot.prompts.labels import DEFAULT_LABEL, LabelStore
from bot.prompts.store import PromptStore, UnknownVersionError
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.origin import Origin, slack_error_code


class CompareRefused(Exception):
    """The comparison cannot start; the message says why and what to do."""


def default_versions(
    services: Services, origin: Origin, name: str, a: int | None, b: int | None
) -> tuple[int, int, int]:
    """(A, B, current): A defaults to the production-labelled version, else the current one;
    B to the newest version."""
    prompts = PromptStore(services.redis, origin.workspace)
    current = prompts.current(name).version
    newest = len(prompts.versions(name))
    if a is None:
        a = LabelStore(services.redis, origin.workspace).version_of(name, DEFAULT_LABEL) or current
    if b is None:
        b = newest
    for number in (a, b):
        if not 1 <= number <= newest:
            raise UnknownVersionError(
                f"`{name}` has no version {number}; its versions are 1 to {newest}."
            )
    if a == b:
        raise CompareRefused(
            f"Version {a} is both A and B: there is nothing to compare. Name two versions, e.g. "
            f"`/align compare {name} {max(a - 1, 1)} {a}` (`/align history {name}` lists them)."
        )
    return a, b, current


def start_comparison(
    services: Services,
    origin: Origin,
    name: str,
    a: int | None = None,
    b: int | None = None,
    pending: bool = False,
) -> Comparison | None:
    """Start comparing; refusals go privately to the person (None), nothing spent or posted."""
    try:
        return _start(services, origin, name, a, b, pending)
    except (CompareRefused, UnknownVersionError) as refusal:
        origin.reply_private(block_kit.error(str(refusal)))
    except OverBudgetError as refused:
        origin.reply_private(block_kit.error(refused.explain()))
    return None


def _start(
    services: Services, origin: Origin, name: str, a: int | None, b: int | None, pending: bool
) -> Comparison:
    a, b, current = default_versions(services, origin, name, a, b)
    production = LabelStore(services.redis, origin.workspace).version_of(name, DEFAULT_LABEL)
    prompts = PromptStore(services.redis, origin.workspace)
    saved = ExampleStore(services.redis, origin.workspace).all(name)
    if not saved:
        raise CompareRefused(
            f"`{name}` has no examples to compare on. Add some with `/align examples {name} add "
            f"key=value ...`, *Save as example* in a run's answer's *Feedback* menu, or a "
            f"CSV uploaded with `@alignbot examples {name}`."
        )
    versions = [
        AlignableSingleRun(
            services.prompt_model, services.alignment_model, data=prompts.version(name, n).prompt
        )
        for n in (a, b)
    ]
    examples = [e.to_library() for e in saved]
    for number, version in zip((a, b), versions, strict=True):
        for example in examples:
            try:
                version.render_input(dict(example.values))
            except TemplateError as error:
                raise CompareRefused(
                    f"Example {example.id} does not fit version {number} of `{name}`: {error}. "
                    f"Remove it with `/align examples {name} remove {example.id}`, or compare "
                    "versions with the same variables."
                ) from error
    cache = RedisAnswerCache(services.redis, origin.workspace)
    calls = planned_calls(versions[0], versions[1], examples, cache, services.alignment_model)
    if calls:
        services.budgets.spend(origin.workspace, origin.user, calls)
    comparison = Comparison(
        compare_id=new_compare_id(),
        team_id=origin.workspace.team_id,
        enterprise_id=origin.workspace.enterprise_id,
        name=name,
        prompt_id=prompts.identity(name),
        a=a,
        b=b,
        current_at_start=current,
        pending=pending,
        user=origin.user,
        channel=origin.channel,
        thread_ts=origin.thread_ts or "",
        examples=len(examples),
        a_was_production=production == a,
    )
    try:
        posted = origin.client.chat_postMessage(
            channel=origin.channel,
            thread_ts=origin.thread_ts,
            **views.progress(comparison, 0, 4 * len(examples)).as_kwargs(),
        )
    except SlackApiError as error:
        raise CompareRefused(
            f"Slack refused the progress message ({slack_error_code(error)}); nothing was run. "
            "Invite the bot to this channel, or try in another one."
        ) from error
    ts = str(posted["ts"])
    runtime = runtime_for(services)
    comparison = replace(
        comparison,
        message_ts=ts,
        thread_ts=origin.thread_ts or ts,
        job_id=new_job_id(comparison.compare_id),
        updated_at=runtime.clock.now(),
    )
    ComparisonStore(services.redis, origin.workspace).save(comparison)
    enqueue_comparison(runtime, comparison)
    return comparison
