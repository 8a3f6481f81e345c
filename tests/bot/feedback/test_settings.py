"""Reading ALIGN_REACTIONS and ALIGN_ADMINS, and the /align subcommands of the feedback loop."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from bot.admins import AdminListError, AdminPolicy, parse_admins
from bot.commands.prompts import (
    ApplyPrinciples,
    DeletePrompt,
    RestorePrompt,
    RevisePrompt,
    RollbackPrompt,
    ShowHistory,
    ShowPrinciples,
    parse_command,
)
from bot.commands.text import CommandSyntaxError
from bot.config import Settings, SettingsError
from bot.feedback.reactions import DEFAULT_REACTION_MAP, ReactionMapError, parse_reaction_map


def test_default_reactions_and_skin_tones() -> None:
    kinds = DEFAULT_REACTION_MAP
    assert [kinds.kind_of(e) for e in ("+1", "thumbsup", "tada", "100", "white_check_mark")] == [
        "kudos"
    ] * 5
    assert [kinds.kind_of(e) for e in ("-1", "x", "confused", "no_entry")] == ["critique"] * 4
    assert [kinds.kind_of(e) for e in ("pencil2", "memo")] == ["rewrite"] * 2
    assert kinds.kind_of("-1::skin-tone-5") == "critique"
    assert kinds.kind_of("eyes") is None


def test_a_configured_kind_replaces_its_defaults_and_keeps_the_others() -> None:
    mapping = parse_reaction_map("kudos = sparkles, :rocket: ; rewrite=writing_hand")
    assert mapping.kind_of("rocket") == "kudos" and mapping.kind_of("+1") is None
    assert mapping.kind_of("writing_hand") == "rewrite" and mapping.kind_of("memo") is None
    assert mapping.kind_of("-1") == "critique"
    for bad in ("praise=+1", "kudos", "kudos=x"):
        with pytest.raises(ReactionMapError):
            parse_reaction_map(bad)


def test_admin_list_and_policy() -> None:
    assert parse_admins("U0ADMIN, <@W0OTHER|pat> U0THIRD") == {"U0ADMIN", "W0OTHER", "U0THIRD"}
    with pytest.raises(AdminListError, match="not a Slack user id"):
        parse_admins("U0ADMIN, bob")
    open_policy, strict = AdminPolicy(), AdminPolicy(frozenset({"U0ADMIN"}))
    assert open_policy.allows("U0ANY", "delete")
    assert strict.allows("U0ADMIN", "rollback") and not strict.allows("U0ANY", "rollback")
    # Every change to what a prompt says is the admins'; feedback and runs stay open.
    for action in ("edit", "revise", "retrain", "notify"):
        assert not strict.allows("U0ANY", action) and open_policy.allows("U0ANY", action)
    assert strict.allows("U0ANY", "run")
    # Undo and cancel also belong to whoever gave the feedback or started the run.
    assert strict.allows("U0ANA", "undo", owner="U0ANA")
    assert not strict.allows("U0ANY", "undo", owner="U0ANA")
    assert strict.allows("U0ADMIN", "cancel", owner="U0ANA")
    assert "<@U0ADMIN>" in strict.refusal("apply")
    assert "Only the bot's admins can undo someone else's change" in strict.refusal("undo")


def test_slack_connect_setting(make_settings: Callable[..., Settings]) -> None:
    assert not make_settings().allow_external_users
    assert make_settings(ALIGN_ALLOW_EXTERNAL_USERS="true").allow_external_users
    with pytest.raises(SettingsError, match="ALIGN_ALLOW_EXTERNAL_USERS"):
        make_settings(ALIGN_ALLOW_EXTERNAL_USERS="sometimes")


def test_settings_name_bad_feedback_values(make_settings: Callable[..., Settings]) -> None:
    settings = make_settings(ALIGN_ADMINS="U0ADMIN", ALIGN_REACTIONS="critique=thumbsdown")
    assert settings.admins == {"U0ADMIN"}
    assert settings.reactions.kind_of("-1") is None
    with pytest.raises(SettingsError) as raised:
        make_settings(ALIGN_ADMINS="alice", ALIGN_REACTIONS="yay=+1")
    assert set(raised.value.problems) >= {"ALIGN_ADMINS", "ALIGN_REACTIONS"}


def test_version_subcommands_parse() -> None:
    assert parse_command("principles uses") == ShowPrinciples("uses")
    assert parse_command("apply uses") == ApplyPrinciples("uses")
    assert parse_command("history uses") == ShowHistory("uses")
    assert parse_command("rollback uses v3") == RollbackPrompt("uses", 3)
    assert parse_command("delete uses") == DeletePrompt("uses")
    assert parse_command("restore uses") == RestorePrompt("uses")
    assert parse_command("revise uses Ask for &lt;one&gt; line.") == RevisePrompt(
        "uses", "Ask for <one> line."
    )
    for text, problem in (
        ("rollback uses", "a prompt name and a version number"),
        ("rollback uses 0", "not a version number"),
        ("revise uses", "needs the change you want"),
        ("apply uses extra", "takes only a prompt name"),
    ):
        with pytest.raises(CommandSyntaxError, match=problem):
            parse_command(text)
