"""The house rules of the package layout, checked on the source so a violation fails the suite."""

from __future__ import annotations

import pytest

from tests.architecture.import_graph import ImportEdge, cycles, import_graph

GRAPH = import_graph(["alignment", "bot"])

FEATURES = (
    "bot.commands",
    "bot.prompts",
    "bot.feedback",
    "bot.labelers",
    "bot.home",
    "bot.examples",
    "bot.compare",
    "bot.api",
)
SHARED_LAYERS = ("bot.slack", "bot.transport", "bot.observability", "bot.models")
ENTRY_POINTS = ("bot.app", "bot.cli", "bot.run")


def _within(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == package or module.startswith(package + ".") for package in packages)


def _edges(sources: tuple[str, ...], targets: tuple[str, ...]) -> list[ImportEdge]:
    return [
        edge
        for module, edges in GRAPH.items()
        if _within(module, sources)
        for edge in edges
        if _within(edge.target, targets)
    ]


def test_the_graph_is_read_from_every_package() -> None:
    # A guard for the checks below: an empty or partial graph would let them all pass.
    assert {"alignment.single_run", "bot.app", "bot.prompts.store", "bot.transport.server"} <= set(
        GRAPH
    )
    assert any(edge.target == "bot.services" for edge in GRAPH["bot.app"])


def test_no_import_cycles_even_through_imports_inside_functions() -> None:
    assert cycles(GRAPH) == []


@pytest.mark.parametrize("layer", SHARED_LAYERS)
def test_shared_layers_never_import_a_feature_or_an_entry_point(layer: str) -> None:
    assert _edges((layer,), FEATURES + ENTRY_POINTS) == []


@pytest.mark.parametrize("feature", FEATURES)
def test_features_never_reach_up_to_the_entry_points(feature: str) -> None:
    assert _edges((feature,), ENTRY_POINTS) == []


def test_the_library_never_imports_the_bot() -> None:
    assert _edges(("alignment",), ("bot",)) == []


def test_a_cycle_is_found_when_there_is_one() -> None:
    # The detector itself, on a graph small enough to see by eye.
    graph = {
        "a": [ImportEdge("a", "b", 1)],
        "b": [ImportEdge("b", "c", 1)],
        "c": [ImportEdge("c", "a", 1)],
        "d": [ImportEdge("d", "a", 1)],
    }
    assert cycles(graph) == [["a", "b", "c"]]
