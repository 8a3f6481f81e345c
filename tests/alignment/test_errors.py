"""The library's exceptions form one tree, defined in one module and drawn in its docstring."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import alignment
from alignment import data, errors, labeler, model_helper, single_run


def _library_modules() -> list[str]:
    return [info.name for info in pkgutil.walk_packages(alignment.__path__, prefix="alignment.")]


def test_every_public_exception_derives_from_alignment_error() -> None:
    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, errors.AlignmentError), name


def test_no_module_but_errors_defines_a_public_exception() -> None:
    strays = []
    for module_name in _library_modules():
        module = importlib.import_module(module_name)
        for name, value in vars(module).items():
            if (
                inspect.isclass(value)
                and issubclass(value, BaseException)
                and value.__module__ == module_name
                and module_name != "alignment.errors"
                and not name.startswith("_")
            ):
                strays.append(f"{module_name}.{name}")
    assert strays == []


def test_every_exception_in_errors_is_drawn_in_the_tree() -> None:
    tree = errors.__doc__ or ""
    assert "\nAlignmentError\n├── " in tree
    for name in set(errors.__all__) - {"AlignmentError"}:
        assert f"── {name}" in tree, name


@pytest.mark.parametrize(
    ("name", "builtin"),
    [
        ("ModelError", RuntimeError),
        ("ModelSpecError", ValueError),
        ("TemplateError", ValueError),
        ("MissingVariableError", KeyError),
        ("AnswerFormatError", ValueError),
        ("NoResponseError", ValueError),
        ("PrincipleConflictError", ValueError),
        ("DatasetError", ValueError),
        ("LabelerFileError", ValueError),
    ],
)
def test_built_in_bases_that_older_callers_catch_are_kept(
    name: str, builtin: type[Exception]
) -> None:
    assert issubclass(getattr(errors, name), builtin)


def test_public_modules_hand_out_the_same_classes() -> None:
    assert single_run.AlignmentAnswerError is errors.AlignmentAnswerError
    assert single_run.NoResponseError is errors.NoResponseError
    assert data.DatasetError is errors.DatasetError
    assert labeler.TrainingCancelled is errors.TrainingCancelled
    assert labeler.LabelerModelError is errors.LabelerModelError
    assert model_helper.ModelError is errors.ModelError
    assert alignment.AlignmentError is errors.AlignmentError


def test_messages_are_unchanged() -> None:
    missing = errors.MissingVariableError(["item"], [])
    assert str(missing) == "missing value for template variable(s) item; given: none"
    changed = errors.PromptVariablesChangedError(["item"], ["item"], [])
    assert str(changed).startswith("the alignment model's rewrite of the prompt dropped item;")
