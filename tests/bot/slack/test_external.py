"""Telling people of another organization (Slack Connect) from members, by what Slack sends."""

from __future__ import annotations

from types import SimpleNamespace

from bot.slack.external import command_is_external, event_is_external, interaction_is_external

HOME = {"team_id": "T0HOME", "authorize_result": SimpleNamespace(team_id="T0HOME")}


def test_events_name_the_person_s_team_in_one_of_three_places() -> None:
    assert not event_is_external({}, {"user": "U1", "team": "T0HOME"}, HOME)
    assert event_is_external({}, {"user": "U1", "user_team": "T0AWAY"}, HOME)
    assert event_is_external({}, {"user": "U1", "user_profile": {"team": "T0AWAY"}}, HOME)
    # user_team wins over the message's team, which Slack sets to the receiving workspace.
    assert event_is_external({}, {"user_team": "T0AWAY", "team": "T0HOME"}, HOME)


def test_a_shared_channel_that_names_no_team_vouches_for_nobody() -> None:
    shared = {"is_ext_shared_channel": True}
    assert event_is_external(shared, {"user": "U1", "reaction": "+1"}, HOME)
    assert not event_is_external(shared, {"user": "U1", "user_team": "T0HOME"}, HOME)
    assert not event_is_external({}, {"user": "U1", "reaction": "+1"}, HOME)


def test_the_installed_team_is_what_auth_test_said() -> None:
    # The request's team_id may be the guest's own; the installation decides who is home.
    context = {"team_id": "T0AWAY", "authorize_result": SimpleNamespace(team_id="T0HOME")}
    assert interaction_is_external({"user": {"id": "U1", "team_id": "T0AWAY"}}, context)
    assert not interaction_is_external({"user": {"id": "U1", "team_id": "T0HOME"}}, HOME)
    # A slash command's team_id selects that team's own prompts; it is not a guest marker.
    assert not command_is_external({"team_id": "T0AWAY", "user_id": "U1"}, HOME)
