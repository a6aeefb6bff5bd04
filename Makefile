# Jiesu: the two commands of the README are `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
# The PostgreSQL the second test run uses; the tests create (and drop) their own database.
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/jiesu

.PHONY: install run test test-sqlite test-postgres lint typecheck format messages bench bench-quick clean browser licences

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt -e ".[dev]"
	touch $@

# Embedded mode: SQLite under var/, demo data on a new database, then the web server on
# $(HOST):$(PORT), the task worker and the scheduler of periodic tasks (SLA sweep), together.
run: install
	mkdir -p var
	$(PY) manage.py bootstrap --demo
	@echo "Jiesu on http://$(HOST):$(PORT)/ (Ctrl+C stops the server, worker and scheduler)"
	@trap 'kill 0' INT TERM EXIT; \
	$(PY) manage.py run_worker --queue-name '*' --no-reload --skip-checks & \
	$(PY) manage.py run_scheduler --skip-checks & \
	$(PY) manage.py runserver $(HOST):$(PORT)

# ruff includes its security rules (S); see [tool.ruff.lint] in pyproject.toml.
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(PY) scripts/licences.py --check
	$(PY) scripts/licence_headers.py --check
	$(VENV)/bin/mypy

# mypy with django-stubs and djangorestframework-stubs on appeals, org, workdays, catalog
# ([tool.mypy] in pyproject.toml: None and wrong types at call sites are errors). Part of lint.
typecheck: install
	$(VENV)/bin/mypy

# docs/licences.md: every dependency's licence, read from the installed packages.
licences: install
	$(PY) scripts/licences.py
	$(PY) scripts/licence_headers.py

format: install
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

test: lint browser
	$(PY) manage.py makemigrations --check --dry-run
	$(MAKE) --no-print-directory test-sqlite
	@if $(PY) -c "import psycopg; psycopg.connect('$(PG_TEST_URL)'.rsplit('/', 1)[0] + '/postgres', connect_timeout=3).close()" 2>/dev/null; then \
		$(MAKE) --no-print-directory test-postgres; \
	else \
		echo "*** PostgreSQL is not reachable at $(PG_TEST_URL): ran the suite on SQLite only. ***"; \
	fi

# The browser tests drive Debian's chromium (Playwright never downloads a browser here); the
# translation tests run gettext (xgettext, msgfmt) as makemessages and compilemessages do.
browser:
	@{ command -v chromium && command -v msgfmt && command -v xgettext; } >/dev/null || { \
		if [ "$$(id -u)" = 0 ]; then \
			apt-get -o DPkg::Lock::Timeout=600 update -qq && DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq chromium fonts-noto-cjk gettext; \
		else \
			echo "*** chromium or gettext is missing: sudo apt-get install chromium fonts-noto-cjk gettext (browser and translation tests will be skipped) ***"; \
		fi; }

test-sqlite: install
	@echo "=== test suite on SQLite ==="
	env -u DATABASE_URL $(VENV)/bin/pytest -q

test-postgres: install
	@echo "=== test suite on PostgreSQL ($(PG_TEST_URL)) ==="
	DATABASE_URL=$(PG_TEST_URL) $(VENV)/bin/pytest -q

# Benchmarks (bench/README.md): results as JSON in bench/results/ (latest.json is the last run).
# The load tests need wrk (installed here when run as root) and PostgreSQL.
bench: install
	$(PY) bench/run.py

bench-quick: install
	$(PY) bench/run.py --quick

# Re-extract and compile every catalogue (needs gettext). It rewrites the .po files in gettext's
# order and drops unused entries: run it on a merged tree, not while branches append to them.
# To add a string, append its entry to the END of the .po and run msgfmt; the test suite
# (jiesu/tests/test_translations.py) says which strings lack a translation.
messages: install
	cd jiesu && ../$(PY) ../manage.py makemessages -l zh_Hans -l en --no-obsolete
	cd jiesu && ../$(PY) ../manage.py compilemessages

clean:
	rm -rf $(VENV) var/jiesu.sqlite3*
