"""Form submissions: a prompt template written in a form, and the variables of a run.

A template form is checked and saved before the ack, so a bad name or template shows as an error
on the field itself and the form stays open. A run form acks at once and runs lazily; its lazy
half reads the form again and stops if the ack refused it.
"""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient

from bot.commands.prompts import RunPrompt, check_prompt_name
from bot.commands.router import perform_safely
from bot.commands.text import CommandSyntaxError
from bot.keys import Workspace
from bot.prompts import views
from bot.prompts.audit import AuditLog
from bot.prompts.permissions import admin_policy, announce
from bot.prompts.store import (
    InvalidTemplateError,
    NameTakenError,
    PromptStore,
    PromptStoreError,
    PromptVersion,
)
from bot.services import Services
from bot.slack.external import REFUSAL as EXTERNAL_REFUSAL
from bot.slack.external import interaction_is_external
from bot.slack.origin import Origin


def _plain(text: str) -> str:
    # Field errors are plain text, where backticks would show as they are.
    return text.replace("`", "")


def origin_of(body: dict[str, Any], context: BoltContext, client: WebClient) -> Origin:
    """The person and place a form was opened from, as recorded in its private metadata."""
    state = json.loads(body["view"].get("private_metadata") or "{}")
    return Origin(
        workspace=Workspace.from_context(context),
        user=str(body["user"]["id"]),
        channel=str(state.get("channel") or body["user"]["id"]),
        client=client,
        thread_ts=state.get("thread_ts"),
        response_url=state.get("response_url"),
        external=interaction_is_external(body, context),
    )


def save_template_form(
    store: PromptStore, user: str, state: dict[str, Any], values: dict[str, str]
) -> tuple[PromptVersion | None, dict[str, str]]:
    """Save the form's prompt; returns the saved version, or errors by field."""
    template = values.get(views.TEMPLATE_BLOCK, "")
    try:
        if state.get("mode") == "new":
            try:
                name = check_prompt_name(values.get(views.NAME_BLOCK, "").strip())
            except CommandSyntaxError as error:
                return None, {views.NAME_BLOCK: _plain(str(error))}
            return store.create(name, template, user), {}
        name = str(state["name"])
        if template == store.current(name).template:
            return None, {views.TEMPLATE_BLOCK: "This is the current template; change something."}
        return store.edit(name, template, user), {}
    except NameTakenError as error:
        return None, {views.NAME_BLOCK: _plain(str(error))}
    except (InvalidTemplateError, PromptStoreError) as error:
        return None, {views.TEMPLATE_BLOCK: _plain(str(error))}


def read_run_form(view: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """The variables filled in a run form, and an error for each one left blank."""
    variables = {
        block_id.removeprefix(views.VARIABLE_BLOCK_PREFIX): value
        for block_id, value in views.submitted_values(view).items()
        if block_id.startswith(views.VARIABLE_BLOCK_PREFIX)
    }
    errors = {
        f"{views.VARIABLE_BLOCK_PREFIX}{name}": "Give a value."
        for name, value in variables.items()
        if not value.strip()
    }
    return variables, errors


def register(app: App, services: Services) -> None:
    def submit_template(
        ack: Ack, body: dict[str, Any], context: BoltContext, client: WebClient
    ) -> None:
        origin = origin_of(body, context, client)
        state = json.loads(body["view"].get("private_metadata") or "{}")
        store = PromptStore(services.redis, origin.workspace)
        values = views.submitted_values(body["view"])
        editing = state.get("mode") != "new"
        if origin.external and not services.settings.allow_external_users:
            refused = _plain(EXTERNAL_REFUSAL)
            ack(response_action="errors", errors={views.TEMPLATE_BLOCK: refused})
            return
        policy = admin_policy(services)
        if editing and not policy.allows(origin.user, "edit"):
            # The form may have been opened before ALIGN_ADMINS was set, or forged: check again.
            AuditLog(services.redis, origin.workspace).record(
                origin.user, "edit-refused", str(state.get("name")), "not an admin"
            )
            refusal = _plain(policy.refusal("edit")).replace("<@", "@").replace(">", "")
            ack(response_action="errors", errors={views.TEMPLATE_BLOCK: refusal})
            return
        record, errors = save_template_form(store, origin.user, state, values)
        if errors or record is None:
            ack(response_action="errors", errors=errors)
            return
        ack()
        origin.reply_private(views.prompt_saved(record, created=not editing))
        if editing:
            announce(origin, views.prompt_edited(record, origin.user))

    app.view(views.PROMPT_TEMPLATE_CALLBACK)(submit_template)

    def acknowledge_run(ack: Ack, view: dict[str, Any]) -> None:
        _, errors = read_run_form(view)
        if errors:
            ack(response_action="errors", errors=errors)
        else:
            ack()

    def run_from_form(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        variables, errors = read_run_form(body["view"])
        if errors:
            return  # the ack kept the form open with the errors shown
        origin = origin_of(body, context, client)
        state = json.loads(body["view"].get("private_metadata") or "{}")
        command = RunPrompt(str(state["name"]), variables, int(state.get("candidates", 1)))
        perform_safely(services, origin, command)

    app.view(views.RUN_VARIABLES_CALLBACK)(ack=acknowledge_run, lazy=[run_from_form])
