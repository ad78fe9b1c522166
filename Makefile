# Territoires Lab — the two commands: `make run` and `make test`.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV   := .venv
PY     := $(VENV)/bin/python
MANAGE := $(PY) manage.py
# `sudo` only when not root and available; CI and the dev machines run as root.
SUDO   := $(shell [ "$$(id -u)" = 0 ] || command -v sudo >/dev/null && echo sudo)
APT    := DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get

.PHONY: help install run test lint test-sqlite test-postgres system-deps test-system-deps \
        messages serve clean bench

help:
	@echo "make run   — installe, migre SQLite, charge la démo et sert http://127.0.0.1:8000"
	@echo "make test  — installe ce qu'il faut et lance toute la suite (SQLite puis PostgreSQL)"

# --- install ------------------------------------------------------------------

system-deps:  ## gettext compiles the translations
	@command -v msgfmt >/dev/null || { $(APT) update -qq && $(APT) install -y -qq gettext >/dev/null; }

$(VENV)/.installed: pyproject.toml
	@test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e ".[dev,scale]"
	@touch $@

# Commands that need no production secret run with the test settings.
TOOL_ENV := DJANGO_SETTINGS_MODULE=config.settings_test

install: system-deps $(VENV)/.installed
	$(TOOL_ENV) $(MANAGE) compilemessages --ignore=.venv -v0

# --- run ----------------------------------------------------------------------

# Development only: DEBUG on, demo accounts exempt from the MFA that staff
# and coaches need everywhere else, e-mails printed in the console.
RUN_ENV := DEBUG=1 MFA_EXEMPT_DEMO_ACCOUNTS=1

# Tasks a worker runs before it exits and is started again: its memory stays bounded.
WORKER_MAX_TASKS := 500

# The task worker (reports, e-mails) runs next to the web server and stops with it. It
# exits cleanly every WORKER_MAX_TASKS tasks and is started again, each time after
# `recover_reports` (a report left running by a dead worker is queued again); a crash
# stops the loop.
run: install
	$(RUN_ENV) $(MANAGE) migrate --no-input -v0
	$(RUN_ENV) $(MANAGE) seed_demo
	$(RUN_ENV) $(MANAGE) purge_expired_data -v0
	( trap 'kill $$pid 2>/dev/null; exit 0' TERM; \
	  while $(RUN_ENV) $(MANAGE) recover_reports -v0; do \
	    $(RUN_ENV) $(MANAGE) db_worker --no-reload -v0 --max-tasks $(WORKER_MAX_TASKS) & pid=$$!; \
	    wait $$pid || break; \
	  done ) & worker=$$!; \
	trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	$(RUN_ENV) $(MANAGE) runserver 127.0.0.1:8000

# --- test ---------------------------------------------------------------------

test-system-deps:  ## PostgreSQL and Chromium from Debian, never a downloaded browser
	@missing=""; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing="$$missing postgresql"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	command -v msgfmt >/dev/null || missing="$$missing gettext"; \
	if [ -n "$$missing" ]; then $(APT) update -qq && $(APT) install -y -qq $$missing >/dev/null; fi

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(TOOL_ENV) $(MANAGE) check
	$(TOOL_ENV) $(MANAGE) makemigrations --check --dry-run -v0
	$(PY) .ci/check_translations.py
	$(PY) .ci/french_plurals.py --check

test-sqlite: install
	$(PY) -m pytest

test-postgres: install test-system-deps
	.ci/with-postgres.sh $(PY) -m pytest

test: install test-system-deps lint test-sqlite test-postgres

# --- benchmarks (not part of `make test`; figures go to docs/performance.md) -------------

bench: install test-system-deps
	.ci/with-postgres.sh $(PY) bench/reports.py
	$(PY) bench/reports.py
	$(MAKE) --no-print-directory bench-load

# The site under HTTP load at network scale (~12 min); wrk comes from Debian.
.PHONY: bench-load
bench-load: install test-system-deps
	@command -v wrk >/dev/null || { $(APT) update -qq && $(APT) install -y -qq wrk >/dev/null; }
	.ci/with-postgres.sh $(PY) bench/load.py

# --- translations ---------------------------------------------------------------

messages: install  ## refresh the .po files after changing UI strings
	$(TOOL_ENV) $(MANAGE) makemessages -l en --ignore=.venv --ignore=staticfiles --add-location=file --no-obsolete
	$(PY) .ci/french_plurals.py
	$(TOOL_ENV) $(MANAGE) compilemessages --ignore=.venv -v0

clean:
	rm -rf $(VENV) staticfiles db.sqlite3
