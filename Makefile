# SalesPlan: `make run` (set up and run with demo data) and `make test` (set up and pass the tests).
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test bench setup messages lint format clean help

help:
	@echo "make run    set up .venv, migrate, load demo data, start web + Celery worker + beat"
	@echo "make test   set up .venv, lint, check migrations, run the whole test suite"
	@echo "make bench  bank-scale data in PostgreSQL, measured figures into BENCHMARKS.md (not part of make test)"

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP) messages

# Compile the translation catalogues (French ships with the app): GNU gettext when the machine has it,
# else polib (pure Python), so that a machine with only Python 3.11 gets the same .mo files.
messages: $(STAMP)
	@if command -v msgfmt >/dev/null; then \
	  DEBUG=true $(BIN)/python manage.py compilemessages --ignore=.venv --ignore=var --verbosity 0; \
	else \
	  $(BIN)/python -c "import glob, polib; [polib.pofile(p).save_as_mofile(p[:-2] + 'mo') for p in glob.glob('locale/*/LC_MESSAGES/*.po')]"; \
	fi

run: setup
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py migrate --noinput
	DEBUG=$${DEBUG:-true} $(BIN)/python manage.py seed_demo
	@echo
	@echo "SalesPlan is starting at http://$(HOST):$(PORT)/  (Ctrl+C stops web, worker and beat)"
	@echo
	PATH="$(CURDIR)/$(BIN):$$PATH" DEBUG=$${DEBUG:-true} HOST=$(HOST) PORT=$(PORT) $(BIN)/honcho start

test: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	DATABASE_URL=sqlite:// DEBUG=true $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS)

# Bank-scale benchmarks (PostgreSQL at 127.0.0.1:5432): generates the salesplan_bench database once
# (`$(BIN)/python -m bench.run --fresh` regenerates it), measures and writes BENCHMARKS.md.
bench: setup
	$(BIN)/python -m bench.run $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) var/salesplan.sqlite3* var/test-salesplan* var/celery-broker var/staticfiles
