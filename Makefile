# The two setup commands of the README: `make build` and `make test-all`.
# Each creates .venv on first use and installs the project into it.
# `make test` is the fast lane (no served Prometheus), for every edit.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: build check test test-all lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

build: $(STAMP)
	$(BIN)/ccdash build

check: $(STAMP)
	$(BIN)/ccdash build --check

test: $(STAMP)
	$(BIN)/python -m pytest -q -m "not prometheus"

test-all: $(STAMP)
	$(BIN)/python -m pytest -q

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/ccdash build --check

bench: $(STAMP)
	$(BIN)/python scripts/bench

clean:
	rm -rf out .pytest_cache .cache
