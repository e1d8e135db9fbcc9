# The two set-up commands: `make run` starts Turnout, `make test` runs every test.
# Both create .venv from the pinned requirements on first use, and build the compiled
# copy of the invocation path (tools/build_compiled.py) whenever a source changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
COMPILED := build/compiled
COMPILED_STAMP := $(COMPILED)/.built
SOURCES := $(shell find src/turnout -name '*.py')

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -r requirements.lock
	$(BIN)/pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $(STAMP)

$(COMPILED_STAMP): $(STAMP) $(SOURCES) tools/build_compiled.py
	$(BIN)/python tools/build_compiled.py $(COMPILED)
	touch $(COMPILED_STAMP)

.PHONY: run test lint bench
run: $(COMPILED_STAMP)
	PYTHONPATH=$(COMPILED) $(BIN)/turnout serve $(ARGS)

# The whole suite against the compiled build that `make run` serves, then the unit
# tests (the pure logic) once more against the Python sources.
test: $(COMPILED_STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/mypy
	$(BIN)/pytest -o pythonpath="$(COMPILED) ."
	$(BIN)/pytest tests/unit

lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/mypy

bench: $(COMPILED_STAMP)
	PYTHONPATH=$(COMPILED) $(BIN)/python -m bench
