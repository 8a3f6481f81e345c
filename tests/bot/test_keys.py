from __future__ import annotations

import pytest

from bot.keys import UnknownWorkspaceError, Workspace
from tests.fakes.slack_signing import SlackSigner


def test_every_key_of_a_workspace_lives_under_its_namespace() -> None:
    keys = Workspace("T0AAA").keys
    made = [
        keys.names(),
        keys.prompt("uses"),
        keys.prompt_versions("uses"),
        keys.principles("uses"),
        keys.principle_log("uses"),
        keys.run("r1"),
        keys.thread("C1", "1.2"),
        keys.answer_message("C1", "1.3"),
        keys.pending("tok"),
        keys.labeler("spam"),
        keys.labeler_checkpoints("spam"),
        keys.upload("F1"),
        keys.job("j1"),
        keys.seen_event("Ev1"),
        keys.seen_message("C1", "1.2"),
        keys.seen_file("F1"),
    ]
    assert all(k.startswith("alignbot:ws:-:T0AAA:") for k in made)
    assert len(set(made)) == len(made)


def test_enterprise_and_team_both_separate_namespaces() -> None:
    plain = Workspace("T0AAA").keys.prompt("uses")
    grid = Workspace("T0AAA", enterprise_id="E0GRID").keys.prompt("uses")
    other_team = Workspace("T0BBB").keys.prompt("uses")

    assert len({plain, grid, other_team}) == 3
    assert grid.startswith("alignbot:ws:E0GRID:T0AAA:")


def test_names_with_separators_cannot_reach_a_neighbouring_key() -> None:
    keys = Workspace("T0AAA").keys
    # A prompt literally named "uses:versions" is not the version list of "uses".
    assert keys.prompt("uses:versions") != keys.prompt_versions("uses")
    assert keys.prompt("a%3Ab") != keys.prompt("a:b")
    assert Workspace("T:X").namespace != Workspace("T", enterprise_id="X").namespace


@pytest.mark.parametrize("enterprise", [None, "E0GRID"])
def test_workspace_is_read_from_every_kind_of_request(enterprise: str | None) -> None:
    signer = SlackSigner(team_id="T0AAA", enterprise_id=enterprise)
    expected = Workspace("T0AAA", enterprise)
    bodies = [
        signer.event_body({"type": "app_mention", "channel": "C1", "ts": "1.2"}),
        signer.command_body("help"),
        signer.interaction_payload({"type": "block_actions", "actions": []}),
    ]
    assert [Workspace.from_body(b) for b in bodies] == [expected] * 3


def test_a_request_without_a_team_has_no_workspace() -> None:
    with pytest.raises(UnknownWorkspaceError):
        Workspace.from_body({"type": "event_callback", "event": {"type": "app_mention"}})
    with pytest.raises(UnknownWorkspaceError):
        Workspace.from_context({"enterprise_id": "E0GRID"})
