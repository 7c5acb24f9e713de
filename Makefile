# Set-up and everyday commands; see README.md.
PY ?= python3.11
VENV := .venv
BIN := $(VENV)/bin

.PHONY: app test dev lint bench

$(BIN)/python:
	$(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

app: $(BIN)/python
	$(BIN)/pip install -q -e '.[app,forecast]'
	$(BIN)/cloudoptima app

dev: $(BIN)/python
	$(BIN)/pip install -q -e '.[dev]'

lint: dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

test: dev lint
	$(BIN)/pytest -n 2 -q

bench: dev
	$(BIN)/python bench/ingest.py
