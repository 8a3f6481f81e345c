# Two entry points, each doing its own set-up in a local virtual environment:
#   make run   - install the bot (the library plus the `bot` extra) and start it (alignbot serve)
#   make test  - install with the dev tools, lint (ruff), type-check (mypy) and run the test suite
# Both install the versions pinned in constraints.txt; `make lock` refreshes that file.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
LOCK_VENV := .lock-venv

.PHONY: run test lint bench lock clean

# The bot alone, for `make run`.
$(BIN)/.installed-bot: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[bot]'
	touch $@

# The bot and the dev tools (the dev extra includes the bot extra), for `make test`.
$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@ $(BIN)/.installed-bot

run: $(BIN)/.installed-bot
	$(BIN)/alignbot serve

# Resolve the newest versions pyproject.toml allows in a fresh environment and pin them all.
# The project itself is left out: a constraint on it would fight the editable install.
lock:
	rm -rf $(LOCK_VENV)
	$(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(LOCK_VENV)/bin/python -m pip install --quiet '.[bot,dev]'
	{ echo "# Pinned by 'make lock' on Python $$($(LOCK_VENV)/bin/python -c 'import platform; print(platform.python_version())'): pip install -c constraints.txt '.[bot,dev]'"; \
	  $(LOCK_VENV)/bin/python -m pip freeze --exclude alignbot; } > constraints.txt.new
	mv constraints.txt.new constraints.txt
	rm -rf $(LOCK_VENV) build

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: lint
	$(BIN)/pytest

bench: $(BIN)/.installed
	$(BIN)/python bench/labeler_speed.py

clean:
	rm -rf $(VENV) $(LOCK_VENV) .mypy_cache .pytest_cache .ruff_cache
