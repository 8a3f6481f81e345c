import json
from collections.abc import Callable
from typing import Any

import pytest

from alignment.single_run import ConstitutionalPrompt, ConversationTurn


def _sample() -> ConstitutionalPrompt:
    return ConstitutionalPrompt(
        preamble="Give three uses for {item}. Be creative.",
        original_preamble="Give three uses for {item}",
        principles=["Include one creative use.", 'Quote "exactly" — ünïcode ok {x}'],
        conversations=[
            [
                ConversationTurn("Give three uses for cup", True, {"item": "cup"}),
                ConversationTurn("1. Drink\n2. Plant pot\n3. Hat"),
            ],
            [ConversationTurn("Give three uses for pen", True, {"item": "pen"})],
        ],
    )


def test_constitutional_prompt_round_trips_through_json() -> None:
    data = _sample()
    restored = ConstitutionalPrompt.from_dict(json.loads(json.dumps(data.to_dict())))
    assert restored == data
    assert restored.conversations[0][0].vars == {"item": "cup"}
    assert restored.conversations[1][0].is_user is True


def test_to_dict_does_not_share_lists_with_the_prompt() -> None:
    data = _sample()
    payload = data.to_dict()
    payload["principles"].append("sneaky")
    payload["conversations"][0][0]["vars"]["item"] = "changed"
    assert "sneaky" not in data.principles
    assert data.conversations[0][0].vars == {"item": "cup"}


def test_turn_prints_as_its_text_and_defaults_like_the_seed() -> None:
    turn = ConversationTurn()
    assert (turn.text, turn.is_user, turn.vars) == ("", False, {})
    assert str(ConversationTurn("an answer")) == "an answer"


@pytest.mark.parametrize(
    "damage",
    [
        lambda d: d.pop("principles"),
        lambda d: d.update(principles=["ok", 3]),
        lambda d: d.update(preamble=None),
        lambda d: d["conversations"][0][0].update(is_user="yes"),
        lambda d: d["conversations"][0][1].pop("text"),
    ],
)
def test_from_dict_refuses_malformed_payloads(damage: Callable[[dict[str, Any]], object]) -> None:
    payload = json.loads(json.dumps(_sample().to_dict()))
    damage(payload)
    with pytest.raises(ValueError):
        ConstitutionalPrompt.from_dict(payload)
