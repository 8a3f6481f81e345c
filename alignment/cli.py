"""``alignbot labeler``: train a labeler on a CSV, and label new rows with a saved labeler.

    alignbot labeler train data.csv --label isHate --inputs comment --task "..." --steps 3
    alignbot labeler label checkpoint.json new.csv --out predictions.csv

Reports (the split, a scorecard per step, where files went) go to stdout; the progress bar and
errors go to stderr. Expected failures (a bad CSV, a model that cannot be reached, a missing
labeler file) print one line and exit with status 1, never a traceback.
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

import pandas as pd

from alignment._data.spreadsheet import write_spreadsheet_csv
from alignment._labeler.file import LabelerFile
from alignment._labeler.mixture import check_rows_for_experts
from alignment._labeler.scorecard_table import format_scorecard
from alignment._labeler.text_progress import ProgressBar
from alignment._providers.base import ModelHelper
from alignment.data import (
    DatasetError,
    ScoreLabelsError,
    describe_split,
    describe_threshold,
    label_values,
    load_dataset,
    load_rows_to_label,
    split_dataset,
)
from alignment.errors import LabelerFileError, ModelError
from alignment.labeler import MAX_EXPERTS, Labeler, LabelerCheckpoint, PredictionResult
from alignment.model_helper import model_from_spec

ModelFactory = Callable[[str], ModelHelper]

PROGRAM = "alignbot labeler"
# The same variable the bot reads, so one setting serves both.
MODEL_ENVIRONMENT_VARIABLE = "ALIGN_MODEL"
DEFAULT_MODEL_SPEC = "gemini:gemini-2.5-flash"
EXIT_FAILED = 1
EXIT_INTERRUPTED = 130


@dataclass
class Streams:
    out: TextIO
    err: TextIO


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=PROGRAM, description="Train a labeler on a labelled CSV, then label new rows."
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    model_help = (
        f"model spec, e.g. gemini:gemini-2.5-flash or openai:gpt-4o-mini "
        f"(default: ${MODEL_ENVIRONMENT_VARIABLE}, else {DEFAULT_MODEL_SPEC})"
    )

    train = commands.add_parser("train", help="train a labeler on a labelled CSV")
    train.add_argument("data", help="CSV file with a header row (comma, semicolon or tab)")
    train.add_argument("--label", required=True, help="the column holding the labels")
    train.add_argument(
        "--inputs",
        required=True,
        nargs="+",
        action="extend",
        metavar="COLUMN",
        help="the column(s) the labeler reads",
    )
    train.add_argument("--task", required=True, help="what the labels mean, in a sentence")
    train.add_argument("--steps", type=_positive_int, default=3, help="training steps (3)")
    train.add_argument("--model", help=f"model that labels rows; {model_help}")
    train.add_argument("--train-model", help="model that writes the rules (default: --model)")
    train.add_argument(
        "--test-fraction", type=_fraction, default=0.2, help="share of rows held out (0.2)"
    )
    train.add_argument("--seed", type=int, default=0, help="seed for the split and sampling (0)")
    train.add_argument(
        "--concurrency", type=_positive_int, default=16, help="model calls at once (16)"
    )
    train.add_argument(
        "--threshold",
        type=_finite,
        help="the label column holds scores: True where score >= THRESHOLD, else False",
    )
    train.add_argument(
        "--racing",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="race candidate rules instead of scoring each on every validation row; "
        "--no-racing scores them all, as the seed library does (racing)",
    )
    train.add_argument(
        "--experts",
        type=_experts,
        default=1,
        metavar="K",
        help=f"train a mixture of K experts (1 to {MAX_EXPERTS}): rows grouped by their "
        "embeddings, one rule set per group, each row labelled by its group's expert (1)",
    )
    train.add_argument(
        "--out", default="checkpoint.json", help="labeler file to write (checkpoint.json)"
    )

    label = commands.add_parser("label", help="label the rows of a CSV with a trained labeler")
    label.add_argument("checkpoint", help="labeler file written by 'train'")
    label.add_argument("data", help="CSV file with the labeler's input columns")
    label.add_argument("--out", help="CSV file to write (default: standard output)")
    label.add_argument("--model", help="model that labels rows (default: the one trained with)")
    label.add_argument(
        "--concurrency", type=_positive_int, default=16, help="model calls at once (16)"
    )
    return parser


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _experts(text: str) -> int:
    value = int(text)
    if not 1 <= value <= MAX_EXPERTS:
        raise argparse.ArgumentTypeError(f"must be between 1 and {MAX_EXPERTS}, got {value}")
    return value


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"must be a number, got {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0.0 < value < 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1 (exclusive), got {value}")
    return value


def main(
    argv: Sequence[str] | None = None,
    model_factory: ModelFactory | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one command; returns the exit status. ``model_factory`` turns a spec into a helper."""
    streams = Streams(stdout or sys.stdout, stderr or sys.stderr)
    args = build_parser().parse_args(argv)
    factory = model_factory or _default_model_factory
    progress = ProgressBar(streams.err)
    try:
        if args.command == "train":
            return _train(args, factory, streams, progress)
        return _label(args, factory, streams, progress)
    except ScoreLabelsError as error:
        hint = f"Add --threshold 0.5 (or the score where {error.column} becomes True)."
        return _fail(streams, progress, f"{args.data}: {error} {hint}")
    except DatasetError as error:
        return _fail(streams, progress, f"{args.data}: {error}")
    except LabelerFileError as error:
        return _fail(streams, progress, str(error))
    except ModelError as error:
        return _fail(streams, progress, f"model error: {error}")
    except OSError as error:  # e.g. --out in a folder that does not exist
        return _fail(streams, progress, f"{error.filename or 'file'}: {error.strerror or error}")
    except KeyboardInterrupt:
        progress.finish()
        streams.err.write("Interrupted.\n")
        return EXIT_INTERRUPTED


def _fail(streams: Streams, progress: ProgressBar, message: str) -> int:
    progress.finish()  # the message starts on a line of its own, not after a progress bar
    one_line = " ".join(message.split())
    streams.err.write(f"{PROGRAM}: {one_line}\n")
    return EXIT_FAILED


def _default_model_factory(spec: str) -> ModelHelper:
    return model_from_spec(spec)


def _default_spec() -> str:
    return os.environ.get(MODEL_ENVIRONMENT_VARIABLE) or DEFAULT_MODEL_SPEC


def _train(
    args: argparse.Namespace, factory: ModelFactory, streams: Streams, progress: ProgressBar
) -> int:
    _check_output_folder(args.out)
    frame = load_dataset(args.data, args.inputs, args.label, threshold=args.threshold)
    train, test = split_dataset(frame, args.label, args.test_fraction, args.seed)
    streams.out.write(describe_split(train, test, args.label, args.threshold) + "\n\n")
    eval_spec = args.model or _default_spec()
    train_spec = args.train_model or eval_spec
    eval_model = factory(eval_spec)
    train_model = eval_model if train_spec == eval_spec else factory(train_spec)
    values = label_values(frame, args.label)
    try:
        labeler = _new_labeler(args, values, train_model, eval_model, progress)
        # Checked before any model call: experts need enough rows to group.
        if args.experts > 1:
            check_rows_for_experts(args.experts, len(train))
    except ValueError as error:
        return _fail(streams, progress, f"cannot train: {error}")
    saved = LabelerFile(
        settings=labeler.settings_dict(),
        checkpoint={},
        models={"train": train_spec, "eval": eval_spec},
        data={
            "file": Path(args.data).name,
            "rows": len(frame),
            "train_rows": len(train),
            "test_rows": len(test),
            "test_fraction": args.test_fraction,
            "seed": args.seed,
            "threshold": args.threshold,
        },
    )
    progress.prefix = "start"
    try:
        checkpoint = labeler.initialize_checkpoint(train)
        for step in range(1, args.steps + 1):
            progress.prefix = f"step {step}/{args.steps}"
            checkpoint = labeler.train_step(checkpoint, train)
            predictions = labeler.infer_checkpoint(checkpoint, test)
            scorecard = labeler.get_scorecard(test, predictions)
            progress.finish()
            # Saved after every step, so an interrupted run keeps what it learned so far.
            saved.checkpoint = checkpoint.to_dict()
            saved.scorecards.append({"step": step, "scorecard": dict(scorecard)})
            saved.save(args.out)
            streams.out.write(f"Step {step} of {args.steps}, on {len(test):,} test rows:\n")
            streams.out.write(format_scorecard(scorecard, values) + "\n\n")
            streams.out.flush()
    except KeyboardInterrupt:
        progress.finish()
        done = len(saved.scorecards)
        kept = f"{args.out} holds step {done}" if done else "no step finished, nothing saved"
        streams.err.write(f"Interrupted: {kept}.\n")
        return EXIT_INTERRUPTED
    streams.out.write(_format_checkpoint(checkpoint, values) + "\n")
    streams.out.write(f"Saved the labeler to {args.out}\n")
    return 0


def _label(
    args: argparse.Namespace, factory: ModelFactory, streams: Streams, progress: ProgressBar
) -> int:
    saved = LabelerFile.load(args.checkpoint)
    if args.out:
        _check_output_folder(args.out)
    spec = args.model or saved.models.get("eval") or _default_spec()
    model = factory(spec)
    progress.prefix = "label"
    try:
        labeler = Labeler.from_settings(
            saved.settings,
            train_model_helper=model,
            eval_model_helper=model,
            max_concurrency=args.concurrency,
            progress=progress,
            score_threshold=_threshold_of(saved),
        )
        checkpoint = LabelerCheckpoint.from_dict(saved.checkpoint)
    except (ValueError, KeyError, TypeError) as error:
        raise LabelerFileError(
            f"'{args.checkpoint}' does not hold a usable labeler ({error}). Train it again."
        ) from None
    inputs = list(labeler.input_names)
    frame = load_rows_to_label(args.data, inputs, labeler.label_name, labeler.score_threshold)
    try:
        predictions = labeler.infer_checkpoint(checkpoint, frame)
    except ValueError as error:  # e.g. experts grouped by another embedding model
        return _fail(streams, progress, f"cannot label: {error}")
    progress.finish()
    if labeler.label_name in frame:
        streams.err.write(_known_labels_report(labeler, frame, predictions) + "\n")
    column = _free_name("prediction", inputs)
    frame[column] = pd.Series([p["prediction"] for p in predictions], dtype=object)
    if args.out:
        # The byte-order mark makes Excel read the file as UTF-8 rather than the local code page.
        with open(args.out, "w", encoding="utf-8-sig", newline="") as out:
            write_spreadsheet_csv(frame, out)
    else:
        write_spreadsheet_csv(frame, streams.out)
    streams.err.write(_label_summary(frame[column].tolist(), args.out) + "\n")
    return 0


def _threshold_of(saved: LabelerFile) -> float | None:
    """The labeler's score rule; files written before it moved into the settings kept it in
    their data section."""
    threshold = saved.settings.get("score_threshold", saved.data.get("threshold"))
    return None if threshold is None else float(threshold)


def _known_labels_report(
    labeler: Labeler, frame: pd.DataFrame, predictions: Sequence[PredictionResult]
) -> str:
    """The scorecard of a file that came with its labels, and the rule that read them."""
    label = labeler.label_name
    lines = [f"The file has the column {label}: scored against it on {len(frame):,} rows."]
    if labeler.score_threshold is not None:
        lines.append(describe_threshold(label, labeler.score_threshold))
    scorecard = labeler.get_scorecard(frame, predictions)
    lines.append(format_scorecard(scorecard, labeler.label_values))
    return "\n".join(lines)


def _check_output_folder(path: str) -> None:
    """Fail before any model call, not after, when the output cannot be written."""
    folder = Path(path).parent
    if not folder.is_dir():
        raise OSError(2, "the folder does not exist", str(folder))


def _new_labeler(
    args: argparse.Namespace,
    values: Sequence[Any],
    train_model: ModelHelper,
    eval_model: ModelHelper,
    progress: ProgressBar,
) -> Labeler:
    return Labeler(
        input_names=list(args.inputs),
        label_name=args.label,
        label_values=values,
        task_description=args.task,
        train_model_helper=train_model,
        eval_model_helper=eval_model,
        hparams={"racing": args.racing},
        max_concurrency=args.concurrency,
        seed=args.seed,
        progress=progress,
        # Kept with the labeler, so files it labels or scores read the score column the same way.
        score_threshold=args.threshold,
        n_experts=args.experts,
    )


def _format_checkpoint(checkpoint: LabelerCheckpoint, values: Sequence[object]) -> str:
    if not checkpoint.experts:
        return _format_rules(checkpoint.attributes, values)
    total = sum(len(expert.rows) for expert in checkpoint.experts) or 1
    parts = []
    for number, expert in enumerate(checkpoint.experts, start=1):
        share = len(expert.rows) / total
        title = f"Expert {number} of {len(checkpoint.experts)} ({share:.0%} of the training rows)"
        parts.append(title + "\n" + _format_rules(expert.checkpoint.attributes, values))
    return "\n\n".join(parts)


def _format_rules(rules: Sequence[Mapping[str, Any]], values: Sequence[object]) -> str:
    lines = ["Rules learned:"]
    for value in values:
        lines.append(f"  {value}:")
        lines.extend(
            f"    [{rule['id']}] {rule['value']}" for rule in rules if rule["label"] == value
        )
    return "\n".join(lines)


def _free_name(wanted: str, taken: Sequence[str]) -> str:
    """``wanted``, or ``wanted_2``, ``wanted_3``... when an input column already has the name."""
    name, number = wanted, 1
    while name in taken:
        number += 1
        name = f"{wanted}_{number}"
    return name


def _label_summary(predictions: list[Any], out: str | None) -> str:
    counts = Counter("(no label)" if p in ("", None) else str(p) for p in predictions)
    listed = ", ".join(f"{name} {count:,}" for name, count in counts.most_common())
    where = f" to {out}" if out else ""
    return f"Labelled {len(predictions):,} rows{where}: {listed}."


if __name__ == "__main__":
    sys.exit(main())
