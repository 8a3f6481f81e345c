"""The upstream runner's stand-ins for modules upstream imports but its labeler never uses."""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Iterator

import pytest
from upstream_runner import _stub_if_missing


@pytest.fixture
def forget_stubs() -> Iterator[None]:
    before = set(sys.modules)
    yield
    for name in set(sys.modules) - before:
        del sys.modules[name]


@pytest.mark.usefixtures("forget_stubs")
def test_a_missing_module_and_its_parents_become_importable() -> None:
    _stub_if_missing("not_installed_vendor.client", attributes=("types",))
    client = importlib.import_module("not_installed_vendor.client")
    parent = importlib.import_module("not_installed_vendor")
    assert parent.client is client
    assert client.types.__name__ == "not_installed_vendor.client.types"


@pytest.mark.usefixtures("forget_stubs")
def test_an_installed_module_is_left_alone() -> None:
    _stub_if_missing("json")
    assert sys.modules["json"] is json
    assert callable(sys.modules["json"].dumps)
