# Two commands: `make run` (serve the demo on http://127.0.0.1:8000) and `make test` (the whole suite).
# Both create .venv with a Python >= 3.11 and install the project; without DATABASE_URL they start the
# embedded PostgreSQL server (data in .pgdata/, reused across runs).

SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then \
	echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# Two pytest workers by default (each gets its own test database); PYTEST_ARGS= runs in one process.
PYTEST_ARGS ?= -n 2

.PHONY: run test lint worker beat clean-db messages

$(STAMP): pyproject.toml
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required (python3.11, python3.12, python3.13 or python3)." >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

run: $(STAMP)
	$(BIN)/python -m campaign.devrun

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/python -m campaign.devdb exec -- $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/python -m campaign.devdb exec -- $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# With REDIS_URL set: a Celery worker and the beat scheduler (make run starts both for you).
worker: $(STAMP)
	$(BIN)/celery -A campaign worker -l info

beat: $(STAMP)
	$(BIN)/celery -A campaign beat -l info

clean-db:
	-$(BIN)/python -m campaign.devdb stop
	rm -rf .pgdata

# Refresh the Japanese catalogue from the source (needs GNU gettext), fill new strings from the translation
# tables in locale/tables/ (or TRANSLATIONS=path/to/table.py), compile.
TRANSLATIONS ?= $(wildcard locale/tables/*.py)
messages: $(STAMP)
	$(BIN)/python manage.py makemessages -l ja --no-location --no-obsolete \
		--ignore '.venv/*' --ignore 'var/*' --ignore 'tests/*' --ignore 'static/*' --ignore '.pgdata/*'
	$(BIN)/python scripts/po_fill.py $(TRANSLATIONS)
