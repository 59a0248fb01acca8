# Roster: `make up` starts the whole system on this machine, `make test` runs the full suite.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: help up down clean test lint typecheck schemas infra-up infra-down bench

help:
	@echo "make up      start Kafka, FerretDB and every built service in the background"
	@echo "make down    stop everything the project started (data stays in .state/)"
	@echo "make clean   stop and delete .state/ (local data)"
	@echo "make test    lint, type-check and run the whole test suite"

$(STAMP): pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install -q --upgrade pip
	$(VENV)/bin/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)

up: $(STAMP)
	@if [ -z "$$ROSTER_KAFKA_BOOTSTRAP$$ROSTER_MONGODB_URL" ]; then bash deploy/local/infra.sh up; fi
	@bash deploy/local/services.sh start
	@echo
	@echo "Demo admin token (organisation 'demo'):"
	@$(VENV)/bin/roster token --org demo --role admin --user demo-admin
	@echo
	@echo "Try: curl -H \"Authorization: Bearer <token>\" http://127.0.0.1:8001/v1/contacts"

down:
	@bash deploy/local/services.sh stop
	@bash deploy/local/infra.sh down

clean: down
	rm -rf .state

lint: $(STAMP)
	$(VENV)/bin/ruff check shared services tests bench
	$(VENV)/bin/ruff format --check shared services tests bench

typecheck: $(STAMP)
	$(VENV)/bin/mypy

schemas: $(STAMP)
	$(VENV)/bin/roster schemas --dir docs/events

# The tests start (or reuse, or take from ROSTER_* / Docker) the infrastructure themselves.
test: lint typecheck
	$(VENV)/bin/pytest

bench: $(STAMP)
	$(VENV)/bin/python bench/contacts_batch.py
	$(VENV)/bin/python bench/contact_queries.py
	$(VENV)/bin/python bench/group_memberships.py
	$(VENV)/bin/python bench/import_rows.py
