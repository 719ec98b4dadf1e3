# 客户服务中心 — run `make help` for the targets.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.DEFAULT_GOAL := help

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install the pinned dependencies

run: $(STAMP) ## Start everything: Redis (unless REDIS_URL), migrations, demo data, web server, workers
	$(BIN)/python -m server run

test: $(STAMP) ## Run the whole test suite (starts its own Redis; DATABASE_URL picks PostgreSQL)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP) ## Run the benchmarks and write tables under bench/results/
	$(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python -m bench.photos
	$(BIN)/python -m bench.serving
	$(BIN)/python -m bench.inspections
	$(BIN)/python -m bench.offline
	$(BIN)/python -m bench.knowledge
	$(BIN)/python -m bench.dashboards
	$(BIN)/python -m bench.repairs
	$(BIN)/python -m bench.pdf_report
	$(BIN)/python -m bench.exports
	$(BIN)/python -m bench.redis_outage
	$(BIN)/python -m bench.sustained
	FUZZ_EXAMPLES=6 $(BIN)/python -m pytest -q tests/test_fuzz_api.py  # figure 9's longer run (~15 min)

restore-check: $(STAMP) ## PostgreSQL: back up, restore into a fresh database and media folder, compare counts and hashes
	$(BIN)/python -m server restore-check $(if $(FROM),--from $(FROM))

migrate: $(STAMP) ## Apply database migrations
	$(BIN)/python -m server migrate

messages: $(STAMP) ## Re-extract translatable strings and update the catalogs
	$(BIN)/pybabel extract -F babel.cfg -o server/translations/messages.pot --no-location --sort-output .
	$(BIN)/pybabel update -i server/translations/messages.pot -d server/translations --no-fuzzy-matching

clean: ## Remove the virtualenv and local data (var/)
	rm -rf $(VENV) var

.PHONY: help install run test bench migrate messages clean restore-check
