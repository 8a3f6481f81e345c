"""`/align examples NAME [add ... | remove ID]`, "Save as example" on an answer, and the checks
every way of adding shares (the prompt exists, variables known and filled, sizes, the limit)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.commands.prompts import AddExample, ExampleCommand, ListExamples, RemoveExample
from bot.examples import views
from bot.examples.store import (
    ExampleError,
    ExampleStore,
    NewExample,
    SavedExample,
    check_example,
    example_from_values,
)
from bot.prompts.runs import RunRecord
from bot.prompts.store import PromptStore, PromptStoreError
from bot.prompts.version_log import notes
from bot.services import Services
from bot.slack import blocks as block_kit
from bot.slack.blocks import Message
from bot.slack.origin import Origin


def add_examples(
    services: Services,
    origin: Origin,
    name: str,
    examples: Sequence[NewExample],
    source: str,
) -> Message:
    """Check and keep ``examples`` of ``name``; the message to show (an error names the fix)."""
    try:
        record = PromptStore(services.redis, origin.workspace).current(name)
        for number, example in enumerate(examples, 1):
            where = f"example {number}" if len(examples) > 1 else ""
            check_example(name, record.variables, example, where)
        store = ExampleStore(services.redis, origin.workspace)
        if len(examples) == 1:
            same = _same_input(store.all(name), examples[0])
            if same is not None:
                return views.already_saved(name, same)
        saved = store.add(name, examples, origin.user, source)
        return views.saved(name, saved, store.count(name))
    except (ExampleError, PromptStoreError) as error:
        return block_kit.error(str(error))


def _same_input(existing: list[SavedExample], new: NewExample) -> SavedExample | None:
    return next((e for e in existing if e.values == new.values), None)


def rewrite_in_thread(
    services: Services, origin: Origin, run: RunRecord, candidate: int
) -> str | None:
    """The latest rewrite someone gave of this run's answer, if any: it becomes the ideal."""
    found = [
        note
        for note in notes(services.redis, origin.workspace, run.prompt_name).values()
        if note.feedback_kind == "rewrite"
        and note.run_id == run.run_id
        and note.candidate in (None, candidate)
        and note.feedback
    ]
    return max(found, key=lambda n: n.version).feedback if found else None


def save_run_answer(services: Services, origin: Origin, run: RunRecord, candidate: int) -> Message:
    """ "Save as example" on an answer: the run's variables, and a rewrite of it as the ideal."""
    prompts = PromptStore(services.redis, origin.workspace)
    if not prompts.is_same_prompt(run.prompt_name, run.prompt_id):
        return block_kit.error(
            f"The prompt `{run.prompt_name}` this run belongs to no longer exists; nothing was "
            "saved."
        )
    ideal = rewrite_in_thread(services, origin, run, candidate)
    return add_examples(
        services, origin, run.prompt_name, [NewExample(dict(run.variables), ideal)], "button"
    )


def perform_example_command(services: Services, origin: Origin, command: ExampleCommand) -> None:
    match command:
        case ListExamples(name=name):
            try:
                PromptStore(services.redis, origin.workspace).current(name)
            except PromptStoreError as error:
                origin.reply_private(block_kit.error(str(error)))
                return
            examples = ExampleStore(services.redis, origin.workspace).all(name)
            origin.reply_private(views.example_list(name, examples))
        case AddExample(name=name, values=values):
            message = add_examples(services, origin, name, [example_from_values(values)], "command")
            origin.reply_private(message)
        case RemoveExample(name=name, example_id=example_id):
            if ExampleStore(services.redis, origin.workspace).remove(name, example_id):
                origin.reply_private(views.removed(name, example_id))
            else:
                origin.reply_private(
                    block_kit.error(
                        f"`{name}` has no example `{example_id}`. `/align examples {name}` lists "
                        "them with their ids."
                    )
                )
