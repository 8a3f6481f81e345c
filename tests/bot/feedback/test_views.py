"""The feedback loop's Block Kit: what people read, and what buttons carry."""

from __future__ import annotations

from alignment._single_run.principles import PrincipleChange
from bot.feedback import views as feedback_views
from bot.prompts import history_views as version_views
from bot.prompts.deletion import Deletion, DeletionEvent
from bot.prompts.versions import HistoryEntry
from tests.scenarios.feedback.world import action_values, message_text


def test_long_reasons_are_shown_whole_beside_their_buttons() -> None:
    reasons = ["A" * 180, "short & <sharp>", "third"]
    offer = feedback_views.reason_offer("U0ANA", "-1", "critique", reasons, "tok")
    text = message_text(offer.as_kwargs())
    assert "A" * 180 in text and "short &amp; &lt;sharp&gt;" in text
    assert action_values(offer.as_kwargs(), feedback_views.CHOOSE_REASON_ACTION) == [
        "tok:0",
        "tok:1",
        "tok:2",
    ]
    assert action_values(offer.as_kwargs(), feedback_views.OWN_REASON_ACTION) == ["tok"]
    labels = [b["accessory"]["text"]["text"] for b in offer.blocks if "accessory" in b]
    assert all(len(label) <= 75 for label in labels)


def test_a_change_message_shows_old_and_new_text_who_and_an_undo() -> None:
    change = PrincipleChange("edit", 1, "Be brief", "Be brief: under 50 words", "tighter")
    message = feedback_views.change_posted("uses", 7, change, "U0BEN", "critique", "too long", "x")
    text = message_text(message.as_kwargs())
    assert "*Principle edited* in `uses` (now version 7), from <@U0BEN>'s critique." in text
    assert "*Principle 2 was:*\n>Be brief\n*Now:*\n>Be brief: under 50 words" in text
    value = action_values(message.as_kwargs(), feedback_views.UNDO_ACTION)[0]
    assert feedback_views.read_undo_value(value) == ("uses", 7)

    undone = feedback_views.change_marked_undone(message, "U0CAL", 8)
    assert not action_values(undone.as_kwargs(), feedback_views.UNDO_ACTION)
    assert "Undone by <@U0CAL> in version 8" in message_text(undone.as_kwargs())


def test_history_keeps_to_slack_limits_and_marks_current_and_undone() -> None:
    entries = [
        HistoryEntry(
            n, "U0ANA", f"2025-01-01T00:{n % 60:02d}:00+00:00", "x" * 400, n == 3, n == 500
        )
        for n in range(1, 501)
    ]
    message = version_views.history_message("uses", entries, [])
    assert len(message.blocks) <= 50
    assert all(len(b["text"]["text"]) <= 3000 for b in message.blocks)
    text = message_text(message.as_kwargs())
    assert "*v500*" in text and "(*current*)" in text and "*v1*" not in text
    assert "the newest 200" in text
    assert (
        "_undone_"
        in version_views.history_message("uses", entries[:5], []).blocks[1]["text"]["text"]
    )


def test_the_apply_diff_points_at_the_words_that_changed() -> None:
    before = "Give three uses for {item}. " * 5
    after = before + "Keep each use to one line."
    diff = version_views.template_diff(before, after)
    assert "\n+Keep each use to one line." in diff
    assert [line for line in diff.splitlines() if line.startswith(("+", "-"))][2:] == [
        "+Keep each use to one line."
    ]
    assert all(len(line) <= version_views.DIFF_WIDTH + 1 for line in diff.splitlines()[2:])


def _deletion(deletion: str, at: str, restored_at: str | None = None) -> Deletion:
    deleted = DeletionEvent("deleted", deletion, "U0ADMIN", at, 2)
    restored = DeletionEvent("restored", deletion, "U0CAL", restored_at, 2) if restored_at else None
    return Deletion(deleted, restored)


def test_a_deleted_prompt_lists_every_deletion_with_the_command_that_restores_it() -> None:
    deletions = [
        _deletion("aaaa11112222", "2026-01-01", restored_at="2026-01-02"),
        _deletion("bbbb33334444", "2026-01-03"),
        _deletion("cccc55556666", "2026-01-04"),
    ]
    message = version_views.deleted_history_message("uses", deletions, admins_only=True)
    text = message_text(message.as_kwargs())
    assert "`uses` was deleted by <@U0ADMIN> at 2026-01-04, with 2 versions" in text
    assert "restored 2026-01-02 by <@U0CAL>" in text
    assert "/align restore uses aaaa11" not in text  # restored already: nothing to offer
    assert "/align restore uses bbbb33" in text and "/align restore uses cccc55" in text
    # The one button restores the latest deletion, as a plain `/align restore uses` does.
    assert action_values(message.as_kwargs(), version_views.RESTORE_ACTION) == ["uses"]

    none_left = version_views.deleted_history_message("uses", deletions[:1], admins_only=False)
    assert "no deletion left to restore" in message_text(none_left.as_kwargs())
    assert not action_values(none_left.as_kwargs(), version_views.RESTORE_ACTION)


def test_quotes_show_markdown_as_formatting_and_never_ping() -> None:
    assert feedback_views.quoted("**Short** answers <!channel>\n- one") == (
        ">*Short* answers &lt;!channel&gt;\n>• one"
    )
