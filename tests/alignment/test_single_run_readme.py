"""The seed README's single-run example as written, and a predict-only helper driving every step."""

import json

from alignment import single_run
from alignment._providers.base import ModelHelper
from alignment.single_run import ConstitutionalPrompt
from tests.alignment.single_run_answers import decision, rewritten, suggestions
from tests.fakes.models import Request, ScriptedModel

CREATIVE = "Include at least one creative use for the item."


def _readme_model(request: Request) -> str:
    """Plays both roles, telling the calls apart by the JSON shape each prompt asks for."""
    prompt = request.prompt
    if '{"action":' in prompt:
        return decision("add", 0, CREATIVE, "the critique asks for creativity")
    if '{"suggestions":' in prompt:
        return suggestions(
            "The first item is too general.",
            "The items are missing supporting details.",
            "The first and second items are too similar.",
        )
    if '{"prompt":' in prompt:
        return rewritten(
            "Give three uses for the following item, at least one of them creative: {item}"
        )
    if "creative" in prompt:
        return "1. Cut paper.\n2. Cut cloth.\n3. Make paper snowflakes."
    return "1. Cut paper.\n2. Cut cloth.\n3. Cut hair."


def test_seed_readme_single_run_example() -> None:
    model = ScriptedModel(responder=_readme_model)
    single_run_prompt = single_run.AlignableSingleRun(model)
    single_run_prompt.set_model_description("Give three uses for the following item: {item}")

    response = single_run_prompt.send_input({"item": "scissors"})
    assert str(response) == "1. Cut paper.\n2. Cut cloth.\n3. Cut hair."

    response = single_run_prompt.send_input("scissors")
    assert "Cut hair" in str(response)

    principles = single_run_prompt.critique_response("the list doesn't include any creative uses")
    assert principles == [CREATIVE]

    new_description = single_run_prompt.update_model_description_from_principles()
    assert "creative" in new_description and "{item}" in new_description

    new_response = single_run_prompt.send_input("scissors")
    assert "Make paper snowflakes" in str(new_response)
    assert model.requests[-1].prompt.endswith("creative: scissors")

    critiques = single_run_prompt.generate_critiques()
    assert len(critiques) == 3 and "The first item is too general." in critiques

    assert single_run_prompt.data.principles == [CREATIVE]
    assert len(single_run_prompt.data.conversations) == 3


class UpstreamStyleHelper(ModelHelper):
    """Implements only ``predict``, as helpers written for upstream model-alignment do."""

    def __init__(self, answer: str = "", scripted: list[str] | None = None) -> None:
        self.answer = answer
        self.scripted = list(scripted or [])
        self.prompts: list[str] = []

    def predict(
        self,
        prompt: str,
        temperature: float,
        stop_sequences: list[str] | None = None,
        candidate_count: int = 1,
        max_output_tokens: int | None = None,
    ) -> str | list[str]:
        self.prompts.append(prompt)
        if candidate_count > 1:
            return [f"{self.answer} #{n}" for n in range(1, candidate_count + 1)]
        return self.scripted.pop(0) if self.scripted else self.answer


def test_predict_only_helpers_drive_the_whole_flow_and_survive_json() -> None:
    prompt_model = UpstreamStyleHelper("A haiku about {braces}")
    alignment_model = UpstreamStyleHelper(
        scripted=[
            "```json\n" + decision("add", 0, "Mention the season.") + "\n```",
            "Sure: " + decision("edit", 1, "Mention the season and the weather.", "more"),
            suggestions("Vivid.", "Good rhythm.", "Concise."),
            decision("add", 0, "Keep the 5-7-5 pattern."),
            rewritten("Write a haiku about {topic}, naming the season and weather, in 5-7-5."),
            rewritten("Write a haiku about {topic}. Sound certain."),
            rewritten("Write a haiku about {topic}; always name the season and weather, in 5-7-5."),
            rewritten("Write a cheerful haiku about {topic}, in 5-7-5, naming season and weather."),
        ]
    )
    run = single_run.AlignableSingleRun(prompt_model, alignment_model)
    run.set_model_description("Write a haiku about {topic}.")

    candidates = run.send_input(
        {"topic": "rain"}, generate_multiple_candidates=True, commit_model_response=False
    )
    assert isinstance(candidates, list) and len(candidates) == 3
    run.commit_model_response(candidates[1])
    assert run.critique_response("no sense of time of year") == ["Mention the season."]
    run.kudos_response("the weather imagery works", turn=candidates[2])
    assert run.last_change is not None and run.last_change.kind == "edit"
    assert run.generate_kudos() == ["Vivid.", "Good rhythm.", "Concise."]
    run.rewrite_response("Spring rain taps the roof")
    assert run.data.principles == [
        "Mention the season and the weather.",
        "Keep the 5-7-5 pattern.",
    ]
    assert "5-7-5" in run.update_model_description_from_principles()
    assert "always" in run.update_model_description_from_feedback("make it sound certain")
    assert run.data.original_preamble == "Write a haiku about {topic}. Sound certain."

    restored = ConstitutionalPrompt.from_dict(json.loads(json.dumps(run.data.to_dict())))
    assert restored == run.data
    again = single_run.AlignableSingleRun(UpstreamStyleHelper("Sunny"), alignment_model, restored)
    answer = again.send_input({"topic": "snow"})
    assert str(answer) == "Sunny"
    assert again.update_model_description_from_principles().startswith("Write a cheerful")
    assert "Write a haiku about {topic}. Sound certain." in alignment_model.prompts[-1]
    assert "{topic}" in again.get_model_description()
    assert len(again.data.conversations) == 2
