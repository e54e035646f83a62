# Two commands do all set-up: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# make run always serves the local SQLite database with tasks in-process (no broker).
RUN_ENV := DEBUG=true DATABASE_URL=sqlite:///$(CURDIR)/db.sqlite3 CELERY_BROKER_URL=
BROKER ?= redis://127.0.0.1:6379/0

.PHONY: run test lint format worker beat migrate bench-compliance clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

run: $(VENV)/.installed
	env $(RUN_ENV) $(PY) manage.py migrate --noinput
	env $(RUN_ENV) $(PY) manage.py load_hoa_data
	env $(RUN_ENV) $(PY) manage.py create_demo_accounts
	env $(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# Uses the local PostgreSQL and Redis when they answer, else SQLite and in-process tasks.
test: $(VENV)/.installed
	@if [ -z "$$DATABASE_URL" ] && $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 0.5)" 2>/dev/null; then \
		export DATABASE_URL=postgres://postgres@127.0.0.1:5432/hoa_portal; fi; \
	if [ -z "$$CELERY_TEST_BROKER_URL" ] && $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 6379), 0.5)" 2>/dev/null; then \
		export CELERY_TEST_BROKER_URL=redis://127.0.0.1:6379/15; fi; \
	echo "Test database: $${DATABASE_URL:-SQLite (fallback)}; Celery broker: $${CELERY_TEST_BROKER_URL:-none (worker tests skipped)}"; \
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# A Celery worker and the beat scheduler on Redis, against the configured database.
worker: $(VENV)/.installed
	CELERY_BROKER_URL=$(BROKER) $(VENV)/bin/celery -A hoa_portal worker --loglevel=INFO

beat: $(VENV)/.installed
	CELERY_BROKER_URL=$(BROKER) $(VENV)/bin/celery -A hoa_portal beat --loglevel=INFO

bench-compliance: $(VENV)/.installed
	$(PY) -m benchmarks.compliance

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles artifacts
