"""``alignbot labeler train`` and ``label`` end to end, with scripted models for the service."""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from pathlib import Path

import pytest

from alignment._labeler.file import LabelerFile
from alignment._providers.base import ModelHelper
from alignment.cli import main
from alignment.data import load_dataset, split_dataset
from alignment.errors import ModelAuthError, ModelSpecError
from tests.fakes.gemini_server import FakeGemini, RecordedRequest, model_of, prompt_text
from tests.fakes.models import EmbeddingScriptedModel, Request, ScriptedModel

REPO = Path(__file__).parent.parent.parent


def hateful_by_keyword(text: str) -> bool:
    """How the scripted classifier labels a comment; wrong for 'friendly note 7' and '17'."""
    return "insult" in text or "7" in text


def answer(request: Request) -> str:
    prompt = request.prompt.rstrip()
    if prompt.endswith("isHate:"):
        comment = re.findall(r"<comment>(.*?)</comment>", prompt, re.DOTALL)[-1]
        return str(hateful_by_keyword(comment))
    if prompt.endswith("Option number:"):
        return "1"
    if prompt.endswith("Explanation:"):
        return "It attacks a person instead of discussing an idea."
    return "The comment attacks or insults a person."


class Models:
    """The model factory handed to ``main``: one scripted model per spec, calls logged."""

    def __init__(self) -> None:
        self.by_spec: dict[str, ScriptedModel] = {}

    def __call__(self, spec: str) -> ModelHelper:
        return self.by_spec.setdefault(spec, ScriptedModel(responder=answer))


def run(argv: list[str], factory: Models) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, model_factory=factory, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def comments_csv(tmp_path: Path) -> Path:
    rows = [f"friendly note {i},false" for i in range(20)]
    rows += [f"nasty insult {i},true" for i in range(20)]
    path = tmp_path / "comments.csv"
    path.write_text("comment,isHate\n" + "\n".join(rows) + "\n")
    return path


def train_args(data: Path, out: Path, *extra: str) -> list[str]:
    return [
        "train",
        str(data),
        "--label",
        "isHate",
        "--inputs",
        "comment",
        "--task",
        "Does the comment attack someone?",
        "--steps",
        "2",
        "--test-fraction",
        "0.25",
        "--seed",
        "5",
        "--concurrency",
        "4",
        "--out",
        str(out),
        *extra,
    ]


def test_train_prints_a_scorecard_per_step_on_the_test_split_and_saves(
    comments_csv: Path, tmp_path: Path
) -> None:
    models = Models()
    out_file = tmp_path / "labeler.json"
    code, out, err = run(
        train_args(comments_csv, out_file, "--model", "fake:small", "--train-model", "fake:big"),
        models,
    )
    assert code == 0, err

    # The expected scores, worked out independently from the same split of the same file.
    _, test = split_dataset(load_dataset(comments_csv, ["comment"], "isHate"), "isHate", 0.25, 5)
    truth = test["isHate"].tolist()
    guesses = [hateful_by_keyword(text) for text in test["comment"]]
    accuracy = sum(g == t for g, t in zip(guesses, truth, strict=True)) / len(test)
    assert accuracy < 1.0  # the split holds at least one row the scripted model gets wrong
    true_support = sum(truth)
    true_precision = sum(g and t for g, t in zip(guesses, truth, strict=True)) / sum(guesses)

    assert out.count(f"accuracy {accuracy:.3f} on {len(test)} rows") == 2
    assert "Step 1 of 2" in out and "Step 2 of 2" in out
    true_rows = [line.split() for line in out.splitlines() if line.startswith("True ")][1:]
    assert len(true_rows) == 2
    assert true_rows[0][1] == f"{true_precision:.3f}"
    assert true_rows[0][4] == str(true_support)
    assert "30 to train, 10 to test" in out
    assert f"Saved the labeler to {out_file}" in out
    assert "[R1]" in out  # the learned rules are shown

    saved = LabelerFile.load(out_file)
    assert saved.models == {"train": "fake:big", "eval": "fake:small"}
    assert saved.settings["label_values"] == [False, True]
    assert saved.settings["input_names"] == ["comment"]
    assert saved.settings["hparams"]["racing"] is True  # the CLI races unless told not to
    assert [entry["step"] for entry in saved.scorecards] == [1, 2]
    assert saved.scorecards[-1]["scorecard"]["accuracy"] == pytest.approx(accuracy)
    assert len(saved.checkpoint["history"]) == 2

    # Rules are written by the training model, rows are labelled by the other one.
    small, big = models.by_spec["fake:small"], models.by_spec["fake:big"]
    assert all(r.prompt.rstrip().endswith("isHate:") for r in small.requests)
    assert not any(r.prompt.rstrip().endswith("isHate:") for r in big.requests)
    assert big.requests and len(small.requests) >= 2 * len(test)

    assert "step 2/2" in err and "labelling rows" in err
    assert "Traceback" not in err


def test_no_racing_is_kept_in_the_saved_settings(comments_csv: Path, tmp_path: Path) -> None:
    out_file = tmp_path / "labeler.json"
    code, _, err = run(
        train_args(comments_csv, out_file, "--model", "fake:small", "--no-racing"), Models()
    )
    assert code == 0, err
    assert LabelerFile.load(out_file).settings["hparams"]["racing"] is False


def test_label_writes_inputs_and_predictions_with_formulas_escaped(
    comments_csv: Path, tmp_path: Path
) -> None:
    models = Models()
    labeler_file = tmp_path / "labeler.json"
    assert run(train_args(comments_csv, labeler_file, "--model", "fake:a"), models)[0] == 0
    new = tmp_path / "new.csv"
    new.write_text('comment,notes\n"=HYPERLINK(""http://x"")",a\nan insult,b\n@fine 7,c\nhi,d\n')
    predictions = tmp_path / "predictions.csv"

    later = Models()
    code, out, err = run(["label", str(labeler_file), str(new), "--out", str(predictions)], later)
    assert code == 0, err
    assert predictions.read_bytes().startswith(b"\xef\xbb\xbf")  # so Excel reads it as UTF-8
    with predictions.open(newline="", encoding="utf-8-sig") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        ["comment", "prediction"],
        ['\'=HYPERLINK("http://x")', "False"],
        ["an insult", "True"],
        ["'@fine 7", "True"],
        ["hi", "False"],
    ]
    assert list(later.by_spec) == ["fake:a"]  # the model the labeler was trained with
    assert "Labelled 4 rows" in err and "True 2" in err and "False 2" in err
    assert out == ""


def test_label_to_stdout_with_another_model(comments_csv: Path, tmp_path: Path) -> None:
    labeler_file = tmp_path / "labeler.json"
    assert run(train_args(comments_csv, labeler_file), Models())[0] == 0
    new = tmp_path / "new.csv"
    new.write_text("comment\nyou insult everyone\n")
    models = Models()
    code, out, _ = run(["label", str(labeler_file), str(new), "--model", "fake:other"], models)
    assert code == 0
    assert out.splitlines() == ["comment,prediction", "you insult everyone,True"]
    assert list(models.by_spec) == ["fake:other"]


def test_bad_csv_fails_in_one_line_before_any_model_is_made(tmp_path: Path) -> None:
    data = tmp_path / "blank.csv"
    data.write_text("comment,isHate\n" + "a,true\nb,\n" * 4)
    models = Models()
    code, out, err = run(train_args(data, tmp_path / "x.json"), models)
    assert code == 1
    assert err.count("\n") == 1
    assert err.startswith(f"alignbot labeler: {data}: The label column 'isHate' is blank in 4")
    assert models.by_spec == {} and out == ""


def test_model_errors_fail_in_one_line_without_traceback(
    comments_csv: Path, tmp_path: Path
) -> None:
    def refuse(request: Request) -> str:
        raise ModelAuthError("The service rejected the API key: set GEMINI_API_KEY.")

    code, _, err = run(
        train_args(comments_csv, tmp_path / "x.json"),
        lambda spec: ScriptedModel(responder=refuse),  # type: ignore[arg-type]
    )
    assert code == 1
    assert "Traceback" not in err
    failures = [line for line in err.splitlines() if line.startswith("alignbot labeler:")]
    assert failures == [err.splitlines()[-1]]
    assert failures[0].startswith("alignbot labeler: model error:")
    assert "set GEMINI_API_KEY" in failures[0]
    assert not (tmp_path / "x.json").exists()


def test_unknown_model_spec_is_reported(comments_csv: Path, tmp_path: Path) -> None:
    def no_such_spec(spec: str) -> ModelHelper:
        raise ModelSpecError(f"Cannot read model spec {spec!r}. Valid forms: 'gemini:<model>'.")

    code, _, err = run(
        train_args(comments_csv, tmp_path / "x.json", "--model", "nope"),
        no_such_spec,  # type: ignore[arg-type]
    )
    assert code == 1
    assert err == (
        "alignbot labeler: model error: Cannot read model spec 'nope'. "
        "Valid forms: 'gemini:<model>'.\n"
    )


def test_output_in_a_missing_folder_fails_before_any_model_call(
    comments_csv: Path, tmp_path: Path
) -> None:
    models = Models()
    code, _, err = run(train_args(comments_csv, tmp_path / "no" / "such" / "x.json"), models)
    assert code == 1
    assert "the folder does not exist" in err and str(tmp_path / "no" / "such") in err
    assert models.by_spec == {}


def test_label_with_a_missing_or_foreign_file_is_explained(tmp_path: Path) -> None:
    new = tmp_path / "new.csv"
    new.write_text("comment\nhello\n")
    code, _, err = run(["label", str(tmp_path / "none.json"), str(new)], Models())
    assert code == 1 and "There is no labeler file at" in err
    foreign = tmp_path / "foreign.json"
    foreign.write_text('{"hello": 1}')
    code, _, err = run(["label", str(foreign), str(new)], Models())
    assert code == 1 and "is not a labeler file" in err


def test_label_needs_the_input_columns_the_labeler_was_trained_on(
    comments_csv: Path, tmp_path: Path
) -> None:
    labeler_file = tmp_path / "labeler.json"
    assert run(train_args(comments_csv, labeler_file), Models())[0] == 0
    new = tmp_path / "new.csv"
    new.write_text("text,other\nhello,1\n")
    code, _, err = run(["label", str(labeler_file), str(new)], Models())
    assert code == 1
    assert "no column named 'comment'" in err and "'text', 'other'" in err


@pytest.mark.parametrize(
    ("flag", "value"), [("--steps", "0"), ("--test-fraction", "1.5"), ("--concurrency", "0")]
)
def test_out_of_range_options_are_usage_errors(
    comments_csv: Path, tmp_path: Path, flag: str, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        run([*train_args(comments_csv, tmp_path / "x.json"), flag, value], Models())
    assert exited.value.code == 2
    assert flag in capsys.readouterr().err


def test_runs_as_a_module(tmp_path: Path) -> None:
    new = tmp_path / "new.csv"
    new.write_text("comment\nhello\n")
    done = subprocess.run(
        [sys.executable, "-m", "alignment.cli", "label", "missing.json", str(new)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"},
        timeout=60,
    )
    assert done.returncode == 1
    assert done.stderr == (
        "alignbot labeler: There is no labeler file at 'missing.json'. "
        "Train one first with 'alignbot labeler train ... --out FILE'.\n"
    )


def test_default_models_talk_to_gemini_over_http(
    comments_csv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def gemini_answer(request: RecordedRequest) -> str:
        return answer(Request(prompt_text(request), 0.0, None, 1, None))

    with FakeGemini(responder=gemini_answer) as gemini:
        for name, value in gemini.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("ALIGN_MODEL", "gemini:gemini-test-flash")
        labeler_file = tmp_path / "labeler.json"
        out, err = io.StringIO(), io.StringIO()
        argv = train_args(
            comments_csv, labeler_file, "--train-model", "gemini:gemini-test-pro", "--steps", "1"
        )
        assert main(argv, stdout=out, stderr=err) == 0, err.getvalue()
        new = tmp_path / "new.csv"
        new.write_text("comment\nsuch an insult\nthanks a lot\n")
        out = io.StringIO()
        assert main(["label", str(labeler_file), str(new)], stdout=out, stderr=err) == 0
    assert out.getvalue().splitlines()[1:] == ["such an insult,True", "thanks a lot,False"]
    models = {model_of(request) for request in gemini.requests}
    assert models == {"gemini-test-flash", "gemini-test-pro"}
    assert LabelerFile.load(labeler_file).models["eval"] == "gemini:gemini-test-flash"


def test_threshold_turns_scores_into_labels_and_is_saved(tmp_path: Path) -> None:
    rows = [f"friendly note {i},0.{i % 4}" for i in range(20)]
    rows += [f"nasty insult {i},0.{6 + i % 4}" for i in range(20)]
    scores = tmp_path / "scores.csv"
    scores.write_text("comment,isHate\n" + "\n".join(rows) + "\n")
    out_file = tmp_path / "labeler.json"
    code, out, err = run(
        train_args(scores, out_file, "--model", "fake:small", "--threshold", "0.5"), Models()
    )
    assert code == 0, err
    assert "True where isHate >= 0.5, False otherwise" in out
    saved = LabelerFile.load(out_file)
    assert saved.data["threshold"] == 0.5
    assert saved.settings["label_values"] == [False, True]


def test_label_reads_a_score_column_by_the_saved_rule_and_scores_the_file(
    tmp_path: Path,
) -> None:
    rows = [f"friendly note {i},0.{i % 4}" for i in range(20)]
    rows += [f"nasty insult {i},0.{6 + i % 4}" for i in range(20)]
    scores = tmp_path / "scores.csv"
    scores.write_text("comment,isHate\n" + "\n".join(rows) + "\n")
    labeler_file = tmp_path / "labeler.json"
    models = Models()
    code, _, err = run(
        train_args(scores, labeler_file, "--model", "fake:small", "--threshold", "0.5"), models
    )
    assert code == 0, err
    assert LabelerFile.load(labeler_file).settings["score_threshold"] == 0.5

    # New rows in the ETHOS layout: semicolons, and scores the rule turns into labels.
    fresh = tmp_path / "fresh.csv"
    fresh.write_text("comment;isHate\nnasty insult x;0.8\nfriendly note 7;0.1\nkind word;0.3\n")
    out_csv = tmp_path / "predictions.csv"
    code, _, err = run(["label", str(labeler_file), str(fresh), "--out", str(out_csv)], models)
    assert code == 0, err
    assert "True where isHate >= 0.5, False otherwise" in err
    # 'friendly note 7' is the one the scripted model gets wrong: 2 of 3 right.
    assert "accuracy 0.667 on 3 rows" in err
    with open(out_csv, encoding="utf-8-sig", newline="") as written:
        table = list(csv.DictReader(written))
    assert [row["isHate"] for row in table] == ["True", "False", "False"]
    assert [row["prediction"] for row in table] == ["True", "True", "False"]


def test_label_without_the_label_column_writes_predictions_only(
    comments_csv: Path, tmp_path: Path
) -> None:
    labeler_file = tmp_path / "labeler.json"
    models = Models()
    assert run(train_args(comments_csv, labeler_file, "--model", "fake:small"), models)[0] == 0
    fresh = tmp_path / "fresh.csv"
    fresh.write_text("comment\nnasty insult x\n")
    code, out, err = run(["label", str(labeler_file), str(fresh)], models)
    assert code == 0, err
    assert "scored against" not in err
    assert out.splitlines()[0].lstrip("\ufeff") == "comment,prediction"


def test_a_score_column_without_a_threshold_names_the_option(tmp_path: Path) -> None:
    rows = [f"note {i},0.{i % 10}5" for i in range(40)]
    scores = tmp_path / "scores.csv"
    scores.write_text("comment,isHate\n" + "\n".join(rows) + "\n")
    code, _, err = run(train_args(scores, tmp_path / "l.json", "--model", "fake:small"), Models())
    assert code == 1
    assert "look like scores" in err and "--threshold 0.5" in err


def test_a_threshold_that_is_not_a_finite_number_is_refused(
    comments_csv: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        main(train_args(comments_csv, tmp_path / "l.json", "--threshold", "nan"), Models())
    assert "--threshold: must be a number, got nan" in capsys.readouterr().err


class EmbeddingModels(Models):
    """Scripted models that also embed: insults and friendly notes far apart."""

    def __call__(self, spec: str) -> ModelHelper:
        return self.by_spec.setdefault(
            spec,
            EmbeddingScriptedModel(
                responder=answer,
                embedder=lambda text: [1.0, 0.1] if "insult" in text else [0.1, 1.0],
            ),
        )


def test_experts_train_a_mixture_saved_with_its_experts_and_labelled_by_them(
    comments_csv: Path, tmp_path: Path
) -> None:
    out_file = tmp_path / "labeler.json"
    models = EmbeddingModels()
    code, out, err = run(train_args(comments_csv, out_file, "--experts", "2"), models)
    assert code == 0, err
    saved = LabelerFile.load(out_file)
    assert saved.settings["n_experts"] == 2
    assert len(saved.checkpoint["experts"]) == 2
    assert "Expert 1 of 2" in out and "Expert 2 of 2" in out
    assert re.search(r"expert 1: \d+% of the rows \(\d+\), accuracy", out)
    new = tmp_path / "new.csv"
    new.write_text("comment,isHate\nsuch an insult,true\nthanks a lot,false\n")
    code, out, err = run(["label", str(out_file), str(new)], models)
    assert code == 0, err
    assert out.splitlines()[1:] == ["such an insult,True,True", "thanks a lot,False,False"]
    assert "expert 1: 50% of the rows (1)" in err


def test_experts_need_rows_and_an_embedding_model(comments_csv: Path, tmp_path: Path) -> None:
    code, _, err = run(train_args(comments_csv, tmp_path / "a.json", "--experts", "8"),
                       EmbeddingModels())  # fmt: skip
    assert code == 1 and "n_experts=8 needs at least 32 training rows" in err
    models = Models()
    code, _, err = run(train_args(comments_csv, tmp_path / "b.json", "--experts", "2"), models)
    assert code == 1 and "embed" in err and "Traceback" not in err
    assert all(not model.requests for model in models.by_spec.values())
    with pytest.raises(SystemExit):
        main(train_args(comments_csv, tmp_path / "c.json", "--experts", "9"),
             stderr=io.StringIO())  # fmt: skip
