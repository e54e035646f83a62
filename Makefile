# Two commands do all set-up: `make run` and `make test` (see README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
# make run always serves the local SQLite database with tasks in-process (no broker).
RUN_ENV := DEBUG=true DATABASE_URL=sqlite:///$(CURDIR)/db.sqlite3 CELERY_BROKER_URL= MFA_REQUIRED=false
BROKER ?= redis://127.0.0.1:6379/0
# pytest-xdist processes for `make test` (one per core by default; TEST_PROCESSES=0 runs serially).
TEST_PROCESSES ?= auto

.PHONY: run test lint format worker beat migrate bench-compliance bench-import bench-api bench-pages clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	touch $@

# No beat runs without a broker: compliance_sweep sends today's reminders, digests and pending
# emails before serving (to the console, or through EMAIL_URL=smtp://...); edits send theirs
# in-process as they commit.
run: $(VENV)/.installed
	env $(RUN_ENV) $(PY) manage.py migrate --noinput
	env $(RUN_ENV) $(PY) manage.py load_hoa_data
	env $(RUN_ENV) $(PY) manage.py create_demo_accounts
	env $(RUN_ENV) $(PY) manage.py compliance_sweep
	env $(RUN_ENV) $(PY) manage.py runserver 127.0.0.1:8000

# Uses the local PostgreSQL and Redis when they answer, else SQLite and in-process tasks. Each
# xdist process gets its own test database (test_<name>_gw0, ...) and Redis database (15, 14, ...).
test: $(VENV)/.installed
	@if [ -z "$$DATABASE_URL" ] && $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 5432), 0.5)" 2>/dev/null; then \
		export DATABASE_URL=postgres://postgres@127.0.0.1:5432/hoa_portal; fi; \
	if [ -z "$$CELERY_TEST_BROKER_URL" ] && $(PY) -c "import socket; socket.create_connection(('127.0.0.1', 6379), 0.5)" 2>/dev/null; then \
		export CELERY_TEST_BROKER_URL=redis://127.0.0.1:6379/15; fi; \
	echo "Test database: $${DATABASE_URL:-SQLite (fallback)}; Celery broker: $${CELERY_TEST_BROKER_URL:-none (worker tests skipped)}"; \
	$(PY) -m pytest --numprocesses=$(TEST_PROCESSES) $(PYTEST_ARGS)

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

# The nightly compliance sweep on a synthetic 500 CBMs x 40 conferences, against the configured
# database (PostgreSQL hoa_portal_bench by default, created and migrated if missing).
bench-compliance: $(VENV)/.installed
	env -u CELERY_BROKER_URL DJANGO_SETTINGS_MODULE=hoa_portal.settings.base DEBUG=true \
		DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/hoa_portal_bench} \
		$(PY) -m benchmarks.compliance

# 10,000 meetings imported from XLSX, new then edited (preview and confirm of each), against the
# configured database (PostgreSQL hoa_portal_benchimport by default, created and migrated if
# missing).
bench-import: $(VENV)/.installed
	env -u CELERY_BROKER_URL DJANGO_SETTINGS_MODULE=hoa_portal.settings.base DEBUG=true \
		DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/hoa_portal_benchimport} \
		$(PY) -m benchmarks.imports

# The API's list endpoints against a plain Django view, under gunicorn on 127.0.0.1 (PostgreSQL).
# Installs wrk from Debian when missing and allowed; otherwise a Python load generator is used.
bench-api: $(VENV)/.installed
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get install -y -qq wrk >/dev/null 2>&1 || \
		  { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq wrk >/dev/null 2>&1; }; }; } || \
		echo "wrk is not available: using the Python load generator"
	DATABASE_URL=$${BENCH_API_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/hoa_portal_benchapi} \
		$(PY) -m benchmarks.api $(BENCH_ARGS)

# Every page type on the compliance benchmark's 500 CBMs x 40 conferences (120,000 meetings) and
# what the other pages show, under gunicorn on 127.0.0.1 (PostgreSQL): p95 and queries per page.
# Installs wrk as bench-api does.
bench-pages: $(VENV)/.installed
	@command -v wrk >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
		{ apt-get install -y -qq wrk >/dev/null 2>&1 || \
		  { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq wrk >/dev/null 2>&1; }; }; } || \
		echo "wrk is not available: using the Python load generator"
	env -u CELERY_BROKER_URL \
		DATABASE_URL=$${BENCH_PAGES_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/hoa_portal_benchpages} \
		$(PY) -m benchmarks.pages $(BENCH_ARGS)

clean:
	rm -rf $(VENV) db.sqlite3 staticfiles artifacts
