# Roster: `make up` starts the whole system on this machine, `make test` runs the full suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed
# Where the local services find the accounts service's keys (deploy/local/services.sh).
LOCAL_JWKS := http://127.0.0.1:8006/.well-known/jwks.json
# Every dependency pinned, with its hashes (pip-tools): `make lock` after changing pyproject.toml.
LOCK := requirements/dev.txt
RUNTIME_LOCK := requirements/runtime.txt
PIP_COMPILE := $(VENV)/bin/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe \
	--no-emit-find-links

# The web console (services/console/web): installed from its npm lock file, typed, linted and
# built (the console service serves web/dist).
CONSOLE_WEB := services/console/web
CONSOLE_DEPS := $(CONSOLE_WEB)/node_modules/.package-lock.json
CONSOLE_BUILD := $(CONSOLE_WEB)/dist/index.html

.PHONY: help up down clean test lint typecheck schemas infra-up infra-down bench lock console

help:
	@echo "make up      start Kafka, FerretDB and every built service in the background"
	@echo "make down    stop everything the project started (data stays in .state/)"
	@echo "make clean   stop and delete .state/ (local data)"
	@echo "make test    lint, type-check and run the whole test suite (the console's browser tests too)"
	@echo "make console build the web console (served by the console service on :8000)"
	@echo "make lock    pin the dependencies again after pyproject.toml changed"

# The lock file installs everything (hashes checked); the project itself goes in editable,
# built with the locked setuptools.
$(STAMP): pyproject.toml $(LOCK)
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --require-hashes -r $(LOCK)
	$(VENV)/bin/python -m pip install -q --no-deps --no-build-isolation -e .
	@touch $(STAMP)

$(CONSOLE_DEPS): $(CONSOLE_WEB)/package.json $(CONSOLE_WEB)/package-lock.json
	cd $(CONSOLE_WEB) && npm ci --no-audit --no-fund --loglevel=error

$(CONSOLE_BUILD): $(CONSOLE_DEPS) $(shell find $(CONSOLE_WEB)/src $(CONSOLE_WEB)/public -type f 2>/dev/null) \
		$(CONSOLE_WEB)/index.html $(CONSOLE_WEB)/vite.config.ts
	cd $(CONSOLE_WEB) && npm run --silent build -- --logLevel warn

console: $(CONSOLE_BUILD)

# Build dependencies (setuptools) are pinned too: the project is installed without build
# isolation, from the locks alone.
lock: $(STAMP)
	$(PIP_COMPILE) --build-deps-for wheel --output-file $(RUNTIME_LOCK) pyproject.toml
	$(PIP_COMPILE) --build-deps-for editable --extra dev --output-file $(LOCK) pyproject.toml

up: $(STAMP) $(CONSOLE_BUILD)
	@if [ -z "$$ROSTER_KAFKA_BOOTSTRAP$$ROSTER_MONGODB_URL" ]; then bash deploy/local/infra.sh up; fi
	@bash deploy/local/services.sh start
	@echo
	@$(VENV)/bin/roster org create --id demo --name "Demo organisation" \
	  --admin-email admin@demo.example --admin-name "Demo admin" \
	  --admin-password "$${ROSTER_DEMO_PASSWORD:-demo-admin-password}" >/dev/null 2>&1 || true
	@echo "The console: http://127.0.0.1:8000 (organisation 'demo')."
	@echo "Demo organisation 'demo': sign in as admin@demo.example with the password"
	@echo "$${ROSTER_DEMO_PASSWORD:-demo-admin-password} (ROSTER_DEMO_PASSWORD sets another):"
	@echo "  curl -X POST http://127.0.0.1:8006/v1/sessions -H 'Content-Type: application/json' \\"
	@echo "    -d '{\"email\": \"admin@demo.example\", \"password\": \"...\", \"organization\": \"demo\"}'"
	@echo
	@echo "Or a development token (organisation 'demo'), signed with the accounts service's key:"
	@ROSTER_AUTH_JWKS_URL=$(LOCAL_JWKS) $(VENV)/bin/roster token --org demo --role admin --user demo-admin
	@echo
	@echo "Try: curl -H \"Authorization: Bearer <token>\" http://127.0.0.1:8001/v1/contacts"

down:
	@bash deploy/local/services.sh stop
	@bash deploy/local/infra.sh down

clean: down
	rm -rf .state

lint: $(STAMP) $(CONSOLE_DEPS)
	$(VENV)/bin/ruff check shared services tests bench
	$(VENV)/bin/ruff format --check shared services tests bench
	cd $(CONSOLE_WEB) && npm run --silent lint

typecheck: $(STAMP) $(CONSOLE_DEPS)
	$(VENV)/bin/mypy
	cd $(CONSOLE_WEB) && npm run --silent typecheck

schemas: $(STAMP)
	$(VENV)/bin/roster schemas --dir docs/events

# The tests start (or reuse, or take from ROSTER_* / Docker) the infrastructure themselves. With
# neither ROSTER_* endpoints nor Docker, the local launcher's downloads and build (Kafka's jars,
# FerretDB) run while the virtualenv is installed and lint and type checks run; the tests then
# only start it.
test:
	@set -e; \
	mkdir -p .cache; \
	if [ -z "$$ROSTER_KAFKA_BOOTSTRAP$$ROSTER_MONGODB_URL" ] && ! docker info >/dev/null 2>&1; then \
	  bash deploy/local/infra.sh install >.cache/infra-install.log 2>&1 & installing=$$!; \
	fi; \
	bash deploy/local/chromium.sh install >.cache/chromium-install.log 2>&1 & browser=$$!; \
	$(MAKE) --no-print-directory $(STAMP) lint typecheck console; \
	if [ -n "$${installing:-}" ] && ! wait "$$installing"; then \
	  cat .cache/infra-install.log; echo "installing the local infrastructure failed" >&2; exit 1; \
	fi; \
	if ! wait "$$browser"; then \
	  cat .cache/chromium-install.log; echo "installing Chromium failed" >&2; exit 1; \
	fi; \
	$(VENV)/bin/pytest

# Every bench at its default sizes; `make bench BENCH_ARGS=--smoke` for the quick check.
bench: $(STAMP)
	@for script in bench/*.py; do \
	  case "$$script" in bench/support.py|bench/figures.py|bench/meters.py|bench/profiles.py) continue;; esac; \
	  echo "== $$script"; $(VENV)/bin/python "$$script" $(BENCH_ARGS) || exit 1; \
	done
