"""The bot's registry of feedback kinds: complete per kind, and the one source of the parsers."""

from __future__ import annotations

import dataclasses

import pytest

from alignment._single_run.feedback_kinds import FEEDBACK_KINDS as LIBRARY_KINDS
from alignment._single_run.feedback_kinds import FeedbackKinds, FeedbackKindSpec, SuggestionTexts
from bot.config import WHERE_TO_GET
from bot.feedback import views as feedback_views
from bot.feedback.kinds import FEEDBACK_KINDS, SlackFeedbackKind, SlackFeedbackKinds
from bot.feedback.reactions import DEFAULT_REACTION_MAP, ReactionMapError, parse_reaction_map
from bot.feedback.replies import prefixed_feedback
from bot.prompts.views import help_message
from tests.scenarios.feedback.world import message_text

PRAISE_TEXTS = FeedbackKindSpec(
    name="praise",
    meaning="the reply cheers the answer on.",
    decision_block="<praise>\n{feedback}\n</praise>",
    suggestion=SuggestionTexts(noun="cheers", guidance="Cheers say what to celebrate."),
)
PRAISE = SlackFeedbackKind(
    name="praise",
    emoji=("clap", "raised_hands"),
    prefix="praise",
    on_reaction="offer_reasons",
    question="What deserves a cheer?",
    form_title="Your praise",
    form_label="What deserves a cheer?",
    action_description="Cheer this answer on",
)
WITH_PRAISE = FeedbackKinds([*LIBRARY_KINDS, PRAISE_TEXTS])


def _with_praise() -> SlackFeedbackKinds:
    return SlackFeedbackKinds([*FEEDBACK_KINDS, PRAISE], library=WITH_PRAISE)


def test_the_bot_handles_every_kind_the_library_knows() -> None:
    assert FEEDBACK_KINDS.names == LIBRARY_KINDS.names == ("kudos", "critique", "rewrite")
    assert [k.on_reaction for k in FEEDBACK_KINDS] == ["offer_reasons"] * 2 + ["ask_for_reply"]


@pytest.mark.parametrize("kind", FEEDBACK_KINDS.names)
def test_every_kind_has_a_prefix_emoji_words_and_prompt_texts(kind: str) -> None:
    spec = FEEDBACK_KINDS.get(kind)
    assert spec.prefix and spec.emoji
    assert all(DEFAULT_REACTION_MAP.kind_of(emoji) == kind for emoji in spec.emoji)
    assert prefixed_feedback(f"{spec.prefix}: some words") == (kind, "some words")
    assert "{feedback}" in LIBRARY_KINDS.get(kind).decision_block
    if spec.offers_reasons:
        LIBRARY_KINDS.suggestion_texts(kind)  # raises if the library cannot draft reasons
        offer = feedback_views.reason_offer("U0ANA", spec.emoji[0], kind, ["r"], "tok")
        assert spec.question in message_text(offer.as_kwargs())
        form = feedback_views.own_reason_modal(kind, "tok")
        assert form["title"]["text"] == spec.form_title
        assert form["blocks"][0]["label"]["text"] == spec.form_label
    else:
        request = feedback_views.reply_request("U0ANA", spec.emoji[0], kind)
        assert spec.reply_request in message_text(request.as_kwargs())


def test_kudos_and_critique_forms_keep_their_own_words() -> None:
    kudos = feedback_views.own_reason_modal("kudos", "tok")
    critique = feedback_views.own_reason_modal("critique", "tok")
    assert kudos["title"]["text"] == "Your kudos"
    assert kudos["blocks"][0]["label"]["text"] == "What was good about the answer?"
    assert critique["title"]["text"] == "Your critique"
    assert critique["blocks"][0]["label"]["text"] == "What should change?"


def test_an_added_kind_is_recognised_by_reactions_and_reply_prefixes() -> None:
    kinds = _with_praise()
    mapping = parse_reaction_map(None, kinds)
    assert mapping.kind_of("clap") == "praise" and mapping.kind_of("+1") == "kudos"
    assert parse_reaction_map("praise=sparkles", kinds).kind_of("sparkles") == "praise"
    assert prefixed_feedback("<@U0BOT> Praise: lovely list", kinds) == ("praise", "lovely list")
    assert prefixed_feedback("critique: too long", kinds) == ("critique", "too long")
    assert "praise=clap,raised_hands" in kinds.reactions_example()
    assert "`praise: ...`" in kinds.prefix_help() and ":clap: praise" in kinds.reaction_help()
    # The shipped registry does not know it.
    assert DEFAULT_REACTION_MAP.kind_of("clap") is None
    assert prefixed_feedback("praise: lovely list") is None
    with pytest.raises(ReactionMapError, match="kudos, critique, rewrite"):
        parse_reaction_map("praise=clap")


def test_help_and_settings_name_every_kind() -> None:
    help_text = message_text(help_message().as_kwargs())
    example = WHERE_TO_GET["ALIGN_REACTIONS"]
    for kind in FEEDBACK_KINDS:
        assert (
            f"`{kind.prefix}: ...`" in help_text and f":{kind.emoji[0]}: {kind.name}" in help_text
        )
        assert f"{kind.name}={kind.emoji[0]}" in example
    # The example given to people is itself a valid setting, meaning what it says.
    example_map = parse_reaction_map(FEEDBACK_KINDS.reactions_example())
    assert [example_map.kind_of(kind.emoji[0]) for kind in FEEDBACK_KINDS] == list(
        FEEDBACK_KINDS.names
    )


def test_the_registry_refuses_entries_the_library_or_the_flow_cannot_serve() -> None:
    with pytest.raises(ValueError, match="not one the library knows"):
        SlackFeedbackKinds([PRAISE])
    cannot_draft = FeedbackKinds([dataclasses.replace(PRAISE_TEXTS, suggestion=None)])
    with pytest.raises(ValueError, match="cannot suggest reasons"):
        SlackFeedbackKinds([PRAISE], library=cannot_draft)
    with pytest.raises(ValueError, match="needs its question"):
        SlackFeedbackKinds([dataclasses.replace(PRAISE, form_label="")], library=WITH_PRAISE)
    with pytest.raises(ValueError, match="needs its reply_request"):
        SlackFeedbackKinds([dataclasses.replace(PRAISE, on_reaction="ask_for_reply")], WITH_PRAISE)
    with pytest.raises(ValueError, match="used by two kinds"):
        SlackFeedbackKinds(
            [*FEEDBACK_KINDS, dataclasses.replace(PRAISE, prefix="Kudos")], WITH_PRAISE
        )
    with pytest.raises(ValueError, match="one word"):
        SlackFeedbackKinds([dataclasses.replace(PRAISE, prefix="big praise")], WITH_PRAISE)
