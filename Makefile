# hygiene — the two commands are `make demo` and `make test`; everything else they need is set up here.
# The development/test/demo environment is locked (uv.lock, hashes for every file): `make install`
# builds .venv from the lock exactly, so an upstream release cannot change a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=
# uv itself comes from the package registry at a pinned version, into its own small venv.
UV_VERSION := 0.13.9
TOOLS  := .tools
UV     := $(TOOLS)/bin/uv
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON := $(PYTHON)
export UV_PYTHON_DOWNLOADS := never
export UV_NO_PROGRESS := 1

.PHONY: install lock upgrade demo audit test lint self-audit bench fuzz system-deps clean schema docs docs-serve

install: $(STAMP)

$(UV):
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)

# --locked: install exactly uv.lock, and fail if pyproject.toml changed without `make lock`.
$(STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --extra dev --quiet
	touch $(STAMP)

# Re-resolve the lock after editing pyproject.toml (keeps every version that still fits).
lock: $(UV)
	$(UV) lock

# Move every locked package to the newest release the ranges allow, then prove it with the tests.
upgrade: $(UV)
	$(UV) lock --upgrade
	$(MAKE) test

demo: install
	$(BIN)/python -m demo.run

audit: install
	$(BIN)/hygiene audit $(ARGS)

# Debian packages the tests use as real parts: chromium (HTML report), promtool (Prometheus rules),
# PostgreSQL (shared state). Installed when missing and apt-get is usable as root.
SYSTEM_TOOLS := chromium:chromium promtool:prometheus pg_ctlcluster:postgresql
system-deps:
	@missing=""; for pair in $(SYSTEM_TOOLS); do tool=$${pair%%:*}; pkg=$${pair##*:}; \
	  command -v $$tool >/dev/null 2>&1 || ls /usr/lib/postgresql/*/bin/$$tool >/dev/null 2>&1 \
	    || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else echo "system-deps: missing$$missing and apt-get (as root) is unavailable" >&2; exit 1; fi; fi

# The PostgreSQL tests get a throwaway server in a `mktemp -d`, stopped and removed on exit
# (or the one HYGIENE_TEST_POSTGRES_URL already names).
PYTEST = $(BIN)/python -m pytest -n 2 --dist loadgroup -q -p no:cacheprovider $(PYTEST_ARGS)
test: install system-deps
	@if [ -n "$${HYGIENE_TEST_POSTGRES_URL:-}" ]; then $(PYTEST); \
	  else scripts/with-postgres.sh $(PYTEST); fi

lint: install
	$(BIN)/ruff check src tests benchmarks demo scripts
	$(BIN)/ruff format --check src tests benchmarks demo scripts
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m hygiene.cli.docs --check
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet
	$(MAKE) self-audit

# hygiene on its own repository: committed secrets (the history too; fixtures' planted ones are
# audited in .secrets.baseline), .env.example drift, readiness. Fails on anything low or worse.
self-audit: install
	$(BIN)/hygiene audit --config policies/self-audit.yaml --only secrets,env,readiness --repo . \
	  --no-state --fail-on low --log-level ERROR --format markdown -o .hygiene/self-audit.md

schema: install
	$(BIN)/hygiene policy schema -o policies/schema.json

docs: install
	$(BIN)/python -m hygiene.cli.docs
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict

docs-serve: install
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs serve

bench: install
	$(BIN)/python -m benchmarks.run $(ARGS)

clean:
	rm -rf $(VENV) $(TOOLS) .hygiene .pytest_cache .mypy_cache .ruff_cache

# The property tests (tests/property, Hypothesis) with many more examples than CI runs.
fuzz: install
	HYPOTHESIS_PROFILE=fuzz $(BIN)/python -m pytest -q -p no:cacheprovider tests/property $(PYTEST_ARGS)
