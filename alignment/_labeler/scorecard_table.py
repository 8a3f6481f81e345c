"""A scorecard as a plain-text table: one row per label, then accuracy. For terminals and logs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

_COLUMNS = ("precision", "recall", "F1", "support")


def format_scorecard(scorecard: Mapping[str, Any], label_values: Sequence[object]) -> str:
    """Per-label precision, recall, F1 and support, then accuracy and empty predictions, then
    (for a mixture of experts) each expert's share of the rows and accuracy.

    ``scorecard`` lists are in ``label_values`` order, as the labeler returns them.
    """
    names = [str(value) for value in label_values]
    width = max(len("label"), *(len(name) for name in names))
    lines = [f"{'label':<{width}}  " + "  ".join(f"{column:>9}" for column in _COLUMNS)]
    rows = zip(
        names,
        scorecard["precision"],
        scorecard["recall"],
        scorecard["fscore"],
        scorecard["support"],
        strict=True,
    )
    for name, precision, recall, fscore, support in rows:
        lines.append(
            f"{name:<{width}}  {precision:>9.3f}  {recall:>9.3f}  {fscore:>9.3f}  {support:>9,}"
        )
    total = sum(scorecard["support"])
    summary = f"accuracy {scorecard['accuracy']:.3f} on {total:,} rows"
    if scorecard.get("n_empty"):
        summary += f"; {scorecard['n_empty']:,} answers named no label"
    lines.append(summary)
    # A mixture of experts: how many of the rows went to each expert, and how it did on them.
    for expert in scorecard.get("experts") or []:
        lines.append(
            f"expert {expert['expert'] + 1}: {expert['share']:.0%} of the rows "
            f"({expert['rows']:,}), accuracy {expert['accuracy']:.3f}"
        )
    return "\n".join(lines)
