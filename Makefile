# Vitals Portal — the README's two commands (demo, test) and the rest.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# A clean CI box has no extra pip indexes; ignore any machine-wide pip configuration.
PIP := PIP_CONFIG_FILE=/dev/null $(BIN)/pip
# DEBUG stays off: the demo shows the portal's own error pages, and WhiteNoise serves the files
# collectstatic gathered, as in production (DEMO=1: see portal/settings.py).
DEMO_ENV := DEMO=1 PORTAL_SANDBOX=1 WHITENOISE_USE_FINDERS=0 CELERY_TASK_ALWAYS_EAGER=1 DATABASE_URL=sqlite:///var/demo.sqlite3
PYTEST_ARGS ?=

.PHONY: install demo test checks lint typecheck schema format clean bench

# uv (Astral's installer, from PyPI) installs the same versions pip resolves, downloading and
# unpacking in parallel: 27 s from an empty cache, bytecode compiled, against pip's 49 s.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q 'uv>=0.5'
	$(BIN)/uv pip install -q --compile-bytecode --python $(BIN)/python -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## make demo — SQLite, eager Celery, the vendor sandbox, served on http://127.0.0.1:8000
demo: install
	mkdir -p var
	$(DEMO_ENV) $(BIN)/python manage.py collectstatic --noinput -v0
	$(DEMO_ENV) $(BIN)/python manage.py migrate --noinput -v0
	$(DEMO_ENV) $(BIN)/python manage.py load_demo_data
	@echo "Serving on http://127.0.0.1:8000  (Ctrl-C to stop)"
	$(DEMO_ENV) $(BIN)/python manage.py runserver 127.0.0.1:8000 --noreload

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## make typecheck — mypy (django-stubs) over every service, selector and vendor client
TYPED := $(shell find portal devices readings appointments -path '*/migrations' -prune -o -path 'portal/sandbox' -prune -o \( -name 'services.py' -o -path '*/services/*.py' -o -name 'selectors.py' -o -path '*/selectors/*.py' -o -name 'clients.py' -o -name 'sync.py' \) -print | sort)
typecheck: install
	PORTAL_SANDBOX=1 $(BIN)/mypy $(TYPED)

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## make test — lint, types, schema and every test on a throwaway PostgreSQL + Redis, browser
## tests included. The checks run beside the tests (their report is printed after the tests'):
## mypy alone kept one core busy and the other idle for ~20 s before the first test.
# (Named through CHECKS, not $(MAKE) in the recipe: a recipe line naming $(MAKE) runs even under
# `make -n`, and this one runs the tests.)
CHECKS = $(MAKE) --no-print-directory -j3 --output-sync=target checks
test: install
	@checks_log=$$(mktemp); \
	$(CHECKS) >"$$checks_log" 2>&1 & checks=$$!; \
	bin/with-services bin/run-tests $(PYTEST_ARGS); tests=$$?; \
	wait $$checks; checked=$$?; \
	echo "== make checks (lint, types, schema; run beside the tests) =="; cat "$$checks_log"; rm -f "$$checks_log"; \
	echo "make test: tests exit $$tests, checks exit $$checked"; \
	[ $$tests = 0 ] && [ $$checked = 0 ]

# Lint, types and the OpenAPI schema: one core each, so side by side.
checks: lint typecheck schema

## make schema — the OpenAPI schema generates without a warning and validates
schema: install
	PORTAL_SANDBOX=1 $(BIN)/python manage.py spectacular --validate --fail-on-warn --file /dev/null

## make bench — performance figures as ratios against a baseline measured in the same run, on a
## durable PostgreSQL (fsync on); sizes scale with BENCH_SCALE (1 = the issue's). See docs/SCALE.md.
bench: install
	PG_FSYNC=on PG_SYNC_COMMIT=on SKIP_CHROMIUM=1 bin/with-services $(BIN)/python -m tests.bench

clean:
	rm -rf $(VENV) var .pytest_cache
