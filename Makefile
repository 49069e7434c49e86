# hygiene — the two commands are `make demo` and `make test`; everything else they need is set up here.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: install demo audit test lint bench browser clean schema

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: install
	$(BIN)/python -m hygiene.demo

audit: install
	$(BIN)/hygiene audit $(ARGS)

# Debian's chromium for the HTML report test (installed when missing and apt-get is usable).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if command -v apt-get >/dev/null 2>&1 && [ "$$(id -u)" = 0 ]; then \
	    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
	      || echo "make browser: could not install chromium"; \
	  else echo "make browser: chromium missing and apt-get unavailable"; fi; }

test: install browser
	$(BIN)/python -m pytest -n 2 --dist loadgroup -q $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy
	$(BIN)/python -m hygiene.cli.docs --check

schema: install
	$(BIN)/hygiene policy schema -o policies/schema.json

bench: install
	$(BIN)/python -m benchmarks.run $(ARGS)

clean:
	rm -rf $(VENV) .hygiene .pytest_cache .mypy_cache .ruff_cache
