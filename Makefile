# Two entry points, each doing its own set-up in a local virtual environment:
#   make run   - install and start the bot (alignbot serve)
#   make test  - install, lint (ruff), type-check (mypy) and run the test suite
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test lint bench clean

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

run: $(BIN)/.installed
	$(BIN)/alignbot serve

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python bench/labeler_speed.py

clean:
	rm -rf $(VENV) .mypy_cache .pytest_cache .ruff_cache
