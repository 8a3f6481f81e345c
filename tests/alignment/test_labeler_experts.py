"""A mixture of experts: rows grouped by embedding, one rule set per group, inputs routed to the
expert of their nearest group; checkpoints keep the experts, and training resumes from them."""

from __future__ import annotations

import json
import threading

import pandas as pd
import pytest

from alignment.labeler import MAX_EXPERTS, Labeler, LabelerCheckpoint
from tests.alignment.labeler_world import RuleWorld, prompt_kind, truth_of
from tests.fakes.models import EmbeddingScriptedModel, Request, ScriptedModel


def regional_frame(size: int, offset: int = 0) -> pd.DataFrame:
    """Comments from two regions, alternating; every third is hateful."""
    rows = [
        (f"{'north' if i % 2 else 'south'} comment kw{i} says something", i % 3 == 0)
        for i in range(offset, offset + size)
    ]
    return pd.DataFrame(rows, columns=["comment", "isHate"])


def region_vector(text: str) -> list[float]:
    """Embeddings that put the two regions far apart (and each text a little apart)."""
    wobble = (sum(map(ord, text)) % 7) / 100
    return [1.0, wobble] if "north" in text else [wobble, 1.0]


def model_for(world: RuleWorld) -> EmbeddingScriptedModel:
    return EmbeddingScriptedModel(responder=world, embedder=region_vector)


def make_labeler(model: ScriptedModel, **options: object) -> Labeler:
    arguments: dict[str, object] = {
        "input_names": ["comment"],
        "label_name": "isHate",
        "label_values": [True, False],
        "task_description": "Is the comment hateful?",
        "train_model_helper": model,
        "eval_model_helper": model,
        "seed": 3,
        "max_concurrency": 8,
        "n_experts": 2,
        **options,
    }
    return Labeler(**arguments)  # type: ignore[arg-type]


def region_of_expert(checkpoint: LabelerCheckpoint, frame: pd.DataFrame) -> list[str]:
    """The region whose training rows each expert holds (each must hold one region only)."""
    regions = []
    for expert in checkpoint.experts:
        found = {frame["comment"].iloc[row].split()[0] for row in expert.rows}
        assert len(found) == 1, found
        regions.append(found.pop())
    return regions


def test_rows_are_grouped_by_region_and_each_input_goes_to_its_regions_expert() -> None:
    train, test = regional_frame(24), regional_frame(10, offset=24)
    model = model_for(RuleWorld(truth=truth_of(train, test), fallback="False"))
    labeler = make_labeler(model)
    checkpoint = labeler.train_step(labeler.initialize_checkpoint(train), train)
    assert checkpoint.n_experts == 2 and not checkpoint.attributes
    regions = region_of_expert(checkpoint, train)
    assert sorted(regions) == ["north", "south"]
    predictions = labeler.infer_checkpoint(checkpoint, test)
    for text, prediction in zip(test["comment"], predictions, strict=True):
        expert = prediction["expert"]
        assert regions[expert] == text.split()[0]
        # The row was classified with its expert's rules and none of the other's.
        own = checkpoint.experts[expert].checkpoint.attributes
        other = checkpoint.experts[1 - expert].checkpoint.attributes
        assert all(rule["value"] in prediction["request"] for rule in own)
        assert not any(
            rule["value"] in prediction["request"]
            for rule in other
            if rule["value"] not in {r["value"] for r in own}
        )
    scorecard = labeler.get_scorecard(test, predictions)
    shares = {score["expert"]: score for score in scorecard["experts"]}
    assert sum(score["rows"] for score in shares.values()) == len(test)
    assert sum(score["share"] for score in shares.values()) == pytest.approx(1.0)


def test_each_expert_learns_from_its_own_rows() -> None:
    train = regional_frame(24)
    model = model_for(RuleWorld(truth=truth_of(train), fallback="False"))
    labeler = make_labeler(model)
    checkpoint = labeler.initialize_checkpoint(train)
    for _ in range(2):
        checkpoint = labeler.train_step(checkpoint, train)
    regions = region_of_expert(checkpoint, train)
    tokens = {
        row: train["comment"].iloc[row].split()[2]
        for expert in checkpoint.experts
        for row in expert.rows
    }
    for expert, region in zip(checkpoint.experts, regions, strict=True):
        own_tokens = {tokens[row] for row in expert.rows}
        learned = [rule["value"] for rule in expert.checkpoint.attributes if "kw" in rule["value"]]
        assert learned, "each expert added rules from its mistakes"
        for rule in learned:
            assert any(token in rule for token in own_tokens), (region, rule)
    record = checkpoint.history[-1]
    assert record["step"] == 2 and record["model_calls"] > 0
    assert record["validation_size"] == sum(
        expert.checkpoint.history[-1]["validation_size"] for expert in checkpoint.experts
    )


def test_one_expert_is_the_single_rule_set_and_embeds_nothing() -> None:
    train = regional_frame(18)
    model = model_for(RuleWorld(truth=truth_of(train), fallback="False"))
    labeler = make_labeler(model, n_experts=1)
    checkpoint = labeler.train_step(labeler.initialize_checkpoint(train), train)
    assert model.embedded == []
    assert "experts" not in checkpoint.to_dict() and checkpoint.attributes
    assert "expert" not in labeler.infer_checkpoint(checkpoint, train.head(3))[0]
    assert "experts" not in labeler.get_scorecard(
        train.head(3), labeler.infer_checkpoint(checkpoint, train.head(3))
    )


def test_checkpoint_round_trips_through_json_and_labels_alike() -> None:
    train, test = regional_frame(20), regional_frame(8, offset=20)
    model = model_for(RuleWorld(truth=truth_of(train, test), fallback="False"))
    labeler = make_labeler(model)
    checkpoint = labeler.train_step(labeler.initialize_checkpoint(train), train)
    restored = LabelerCheckpoint.from_dict(json.loads(json.dumps(checkpoint.to_dict())))
    assert restored.fingerprint() == checkpoint.fingerprint()
    assert [e.rows for e in restored.experts] == [e.rows for e in checkpoint.experts]
    assert restored.embedding_model == "scripted-embedding"
    assert restored.expert_source_size == len(train)
    first = labeler.infer_checkpoint(checkpoint, test)
    again = labeler.infer_checkpoint(restored, test)
    assert [(p["prediction"], p["expert"]) for p in first] == [
        (p["prediction"], p["expert"]) for p in again
    ]


def test_a_checkpoint_written_before_experts_loads_as_one_rule_set() -> None:
    old = {
        "format": 1,
        "attributes": [{"id": "R1", "value": "Insults.", "label": True}],
        "next_rule_number": 2,
        "history": [],
    }
    checkpoint = LabelerCheckpoint.from_dict(old)
    assert checkpoint.n_experts == 1 and checkpoint.experts == []
    assert checkpoint.to_dict() == {**old, "validation_rows": None, "validation_source_size": None}


def test_training_resumes_from_saved_json_without_embedding_the_training_rows_again() -> None:
    train = regional_frame(24)
    world = RuleWorld(truth=truth_of(train), fallback="False")
    first_model = model_for(world)
    labeler = make_labeler(first_model)
    step_one = labeler.train_step(labeler.initialize_checkpoint(train), train)
    straight_on = labeler.train_step(step_one, train)

    saved_settings = json.loads(json.dumps(labeler.settings_dict()))
    saved = json.loads(json.dumps(step_one.to_dict()))
    second_model = model_for(world)
    resumed_labeler = Labeler.from_settings(saved_settings, second_model, second_model)
    assert resumed_labeler.n_experts == 2
    resumed = resumed_labeler.train_step(LabelerCheckpoint.from_dict(saved), train)
    assert second_model.embedded == []
    assert resumed.fingerprint() == straight_on.fingerprint()
    assert [record["step"] for record in resumed.history] == [1, 2]


def test_other_training_data_is_routed_to_the_kept_experts() -> None:
    train = regional_frame(24)
    model = model_for(RuleWorld(truth=truth_of(train, regional_frame(30)), fallback="False"))
    labeler = make_labeler(model)
    checkpoint = labeler.initialize_checkpoint(train)
    regions = region_of_expert(checkpoint, train)
    bigger = regional_frame(30)
    trained = labeler.train_step(checkpoint, bigger)
    assert region_of_expert(trained, bigger) == regions
    assert trained.expert_source_size == 30


def test_experts_train_at_the_same_time() -> None:
    """Each expert's first rules wait until every expert has asked for its own: if experts ran
    one after another, the first would wait for the second for ever."""
    train = regional_frame(16)
    world = RuleWorld(truth=truth_of(train), fallback="False")
    everyone_asked = threading.Barrier(4)  # two experts x two labels

    def responder(request: Request) -> str:
        if prompt_kind(request.prompt) == "initial":
            everyone_asked.wait(timeout=30)
        return world(request)

    model = EmbeddingScriptedModel(responder=responder, embedder=region_vector)
    checkpoint = make_labeler(model).initialize_checkpoint(train)
    assert [len(expert.checkpoint.attributes) for expert in checkpoint.experts] == [2, 2]


@pytest.mark.parametrize("bad", [0, MAX_EXPERTS + 1, True, 2.5, "2"])
def test_the_number_of_experts_is_checked(bad: object) -> None:
    model = model_for(RuleWorld(truth={}, fallback="False"))
    with pytest.raises(ValueError, match="n_experts"):
        make_labeler(model, n_experts=bad)


def test_too_few_rows_for_the_experts_is_refused_before_any_call() -> None:
    model = model_for(RuleWorld(truth={}, fallback="False"))
    labeler = make_labeler(model, n_experts=3)
    with pytest.raises(ValueError, match="at least 12 training rows"):
        labeler.initialize_checkpoint(regional_frame(11))
    assert model.requests == [] and model.embedded == []


def test_experts_need_a_helper_that_embeds() -> None:
    plain = ScriptedModel(responder=lambda request: "")
    with pytest.raises(ValueError, match="embed"):
        make_labeler(plain)
    assert make_labeler(plain, n_experts=1).embedding_model_helper is None


def test_labelling_with_another_embedding_model_is_refused() -> None:
    train = regional_frame(16)
    model = model_for(RuleWorld(truth=truth_of(train), fallback="False"))
    checkpoint = make_labeler(model).initialize_checkpoint(train)
    other = model_for(RuleWorld(truth=truth_of(train), fallback="False"))
    other.embedding_model = "another-embedding"
    with pytest.raises(ValueError, match="another-embedding"):
        make_labeler(other).infer_checkpoint(checkpoint, train.head(2))


def test_the_empty_starting_rules_of_a_mixture_are_scored_without_embedding() -> None:
    train = regional_frame(24)
    model = model_for(RuleWorld(truth=truth_of(train), fallback="False"))
    labeler = make_labeler(model, hparams={"n_validation_examples": 12})
    score = labeler.score_rules(None, train)
    # Every expert starts from the same empty rules, so no row needs routing.
    assert model.embedded == []
    assert labeler.stats.model_calls == 12
    assert 0.0 < score < 1.0
    # On a whole frame, the eight hateful comments of 24 are the mistakes of no rules at all.
    assert labeler.score_rules(None, train, train) == pytest.approx(16 / 24)
