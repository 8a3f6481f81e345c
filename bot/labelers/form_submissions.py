"""Submissions of the two-step `/align train NAME` form.

Each step acks at once by replacing the form with a "working" view (Slack allows 3 seconds),
then does the slow part (downloading, reading, checking the file) in a lazy listener, which
updates the same view: to the column choices after step one, to "started" after step two, or to
what is wrong with the file. A problem with the chosen columns brings step two back with the
problem shown, so another column can be picked without uploading again.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from slack_bolt import Ack, App, BoltContext
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.commands.labelers import TrainLabeler
from bot.keys import Workspace
from bot.labelers import forms
from bot.labelers.intake import (
    IntakeRefusal,
    TrainingPlace,
    fetch_upload,
    header_of,
    refuse_if_unavailable,
    start_from_data,
)
from bot.services import Services

log = logging.getLogger(__name__)


def _update(client: WebClient, body: dict[str, Any], view: dict[str, Any]) -> None:
    try:
        client.views_update(view_id=body["view"]["id"], view=view)
    except SlackApiError as error:
        reason = error.response.get("error")
        log.info("could not update the training form: %s", reason)
        if reason == "not_found":
            return  # The person closed the form meanwhile; there is nobody left to show it to.
        # Otherwise the form would say "Reading the file…" for ever: tell the person directly.
        try:
            client.chat_postMessage(
                channel=body["user"]["id"],
                text=(
                    f"Your `/align train` form could not be updated (Slack answered `{reason}`). "
                    "Close it and run `/align train NAME` again; if the training had started, "
                    "its progress still appears in its channel."
                ),
            )
        except SlackApiError as dm_error:
            log.warning("could not tell the person either: %s", dm_error.response.get("error"))


def _number_or_none(value: Any) -> float | None:
    """A number carried in the form's metadata; anything else (JSON can hold it) is None."""
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    return float(value) if is_number and math.isfinite(value) else None


def read_file_step(services: Services, body: dict[str, Any], client: WebClient) -> None:
    """After step one: read the file's header and offer its columns."""
    state = forms.read_metadata(body["view"])
    form = forms.read_upload_form(body["view"])
    name = str(state["name"])
    try:
        file, data = fetch_upload(services, Workspace.from_body(body), form.file_ids[0])
        header = header_of(data)
    except IntakeRefusal as refusal:
        _update(client, body, forms.problem_view(name, str(refusal)))
        return
    carried = forms.metadata(**forms.carried_to_step_two(state, form, file.id))
    offered = forms.columns_form(
        name,
        file.name,
        header,
        carried,
        label=state.get("label"),
        inputs=[str(column) for column in state.get("inputs") or []],
        threshold=_number_or_none(state.get("threshold")),
    )
    _update(client, body, offered)


def train_step(
    services: Services, body: dict[str, Any], context: BoltContext, client: WebClient
) -> None:
    """After step two: check the data with the chosen columns and start the training."""
    state = forms.read_metadata(body["view"])
    chosen = forms.read_columns_form(body["view"])
    name = str(state["name"])
    place = TrainingPlace(
        workspace=Workspace.from_context(context),
        channel=str(state["channel"]),
        user=str(body["user"]["id"]),
    )
    command = TrainLabeler(
        name=name,
        label=chosen.label,
        inputs=tuple(chosen.inputs),
        task=str(state.get("task") or "") or None,
        steps=int(state.get("steps") or 1),
        notify_channel=state.get("notify") or None,
        target=_number_or_none(state.get("target")),
        delta=_number_or_none(state.get("delta")),
        # As submitted in step two, where a threshold typed with the command was filled in.
        threshold=chosen.threshold,
        experts=int(state.get("experts") or 1),
    )
    try:
        refuse_if_unavailable(services, place.workspace, name)
        file, data = fetch_upload(services, place.workspace, str(state["file_id"]))
        header = header_of(data)
    except IntakeRefusal as refusal:
        _update(client, body, forms.problem_view(name, str(refusal)))
        return
    try:
        start_from_data(services, place, command, file, data)
    except IntakeRefusal as refusal:
        retry = forms.columns_form(
            name,
            file.name,
            header,
            forms.metadata(**state),
            problem=str(refusal),
            label=chosen.label,
            inputs=chosen.inputs,
            threshold=chosen.threshold,
        )
        _update(client, body, retry)
        return
    _update(client, body, forms.started_view(name, place.channel))


def register(app: App, services: Services) -> None:
    def acknowledge_file(ack: Ack, view: dict[str, Any]) -> None:
        errors = forms.upload_form_errors(forms.read_upload_form(view), forms.read_metadata(view))
        if errors:
            ack(response_action="errors", errors=errors)
            return
        name = str(forms.read_metadata(view).get("name", ""))
        ack(response_action="update", view=forms.reading_view(name))

    def read_file(body: dict[str, Any], client: WebClient) -> None:
        view = body["view"]
        if forms.upload_form_errors(forms.read_upload_form(view), forms.read_metadata(view)):
            return  # the ack kept the form open with the errors shown
        read_file_step(services, body, client)

    app.view(forms.UPLOAD_CALLBACK)(ack=acknowledge_file, lazy=[read_file])

    def acknowledge_columns(ack: Ack, view: dict[str, Any]) -> None:
        errors = forms.columns_form_errors(forms.read_columns_form(view))
        if errors:
            ack(response_action="errors", errors=errors)
            return
        name = str(forms.read_metadata(view).get("name", ""))
        ack(response_action="update", view=forms.checking_view(name))

    def start(body: dict[str, Any], context: BoltContext, client: WebClient) -> None:
        if forms.columns_form_errors(forms.read_columns_form(body["view"])):
            return
        train_step(services, body, context, client)

    app.view(forms.COLUMNS_CALLBACK)(ack=acknowledge_columns, lazy=[start])
