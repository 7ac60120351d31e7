# archgen — entry points. `make demo` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
ARCHGEN := $(BIN)/archgen
# The strict editable install is a link tree (mypy follows it), so it is rebuilt when
# pyproject.toml changes or a module is added or removed.
SOURCES_HASH := $(shell { cat pyproject.toml; find cli model renderers runtime site -name '*.py' -o -name '*.yaml' -o -name '*.j2' -o -name '*.md' | LC_ALL=C sort; } 2>/dev/null | md5sum | cut -c1-12)
STAMP  := $(VENV)/.installed-$(SOURCES_HASH)
APT_STAMP := $(VENV)/.apt-done
NPM_STAMP := node_modules/.installed-$(shell md5sum package.json package-lock.json 2>/dev/null | md5sum | cut -c1-12)

.PHONY: help setup system-deps demo test lint typecheck pytest bench bench-sweep bench-sweep-memory fuzz oracles clean

help:
	@echo "make demo   set up, then run archgen on the embedded reference model"
	@echo "make test   set up, then lint, type-check and run the tests"
	@echo "make fuzz   the model fuzz tests with a large budget (make test runs a small one)"
	@echo "make oracles  the queueing oracles over the whole grid (make test runs a few corners)"
	@echo "make validate-hybrid  hybrid vs full fidelity on the reference scenarios (too slow for make test)"
	@echo "make bench-sweep-memory RUNS=1000  the sweep driver's peak memory over 1,000 runs"
	@echo "make lint | make bench | make setup | make clean"

setup: $(STAMP) system-deps $(NPM_STAMP)

$(STAMP):
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]' --config-settings editable_mode=strict
	@rm -f $(VENV)/.installed-*
	@touch $@

# Debian packages the project needs: Graphviz's `dot` for layout, Chromium for the
# Mermaid parser and the browser tests. Installed only when missing, and only as root.
system-deps:
	@missing=""; \
	command -v dot >/dev/null || missing="$$missing graphviz"; \
	command -v chromium >/dev/null || missing="$$missing chromium"; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing fonts-dejavu-core >/dev/null; \
	  else \
	    echo "missing:$$missing — run: sudo apt-get install -y$$missing" >&2; exit 1; \
	  fi; \
	fi

$(NPM_STAMP): package.json
	@if [ -f package.json ]; then \
	  PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error || \
	  PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error; \
	fi
	@mkdir -p node_modules && rm -f node_modules/.installed-* && touch $@

OUT ?= archgen-out

# The main job on the embedded reference model: check it, draw it, explain one shopper's
# journey hop by hop, simulate Prime Day, check the design, and publish the site.
demo: setup
	$(ARCHGEN) validate
	$(ARCHGEN) render --out $(OUT)/diagrams
	$(ARCHGEN) run --journey buy --explain
	$(ARCHGEN) run --scenario prime-day --out $(OUT)/runs/prime-day
	$(ARCHGEN) check --scenario prime-day --scenario s3-outage
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict -q
	@echo "site: $(CURDIR)/build/site/index.html  (with search: $(ARCHGEN) site serve)"

lint: setup
	$(BIN)/ruff check cli model renderers runtime site tests bench
	$(BIN)/ruff format --check cli model renderers runtime site tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports

test: lint
	$(BIN)/pytest -q

# The fuzz tests of `make test` with the large budget, randomized (findings are kept in
# .hypothesis/ and replayed first on the next run).
fuzz: setup
	ARCHGEN_FUZZ_PROFILE=long $(BIN)/pytest -q tests/fuzz -p no:cacheprovider --hypothesis-show-statistics

# The simulator against queueing theory (Erlang B/C, M/M/c/K, Jackson, M/G/1) over the whole
# grid with larger budgets: several minutes. ARCHGEN_ORACLE_REPORT=FILE keeps the table.
oracles: setup
	ARCHGEN_ORACLE_PROFILE=full $(BIN)/pytest -q tests/oracles -p no:cacheprovider

validate-hybrid: setup  # hybrid against full fidelity on every reference scenario (minutes)
	$(PY) bench/validate_hybrid.py --sample 0.2

bench: setup
	@for script in bench/bench_*.py; do echo "== $$script"; $(PY) $$script || exit 1; done

# Runs per minute of `archgen sweep`: serial, process pool and Dask LocalCluster (2 workers).
bench-sweep: setup
	$(PY) bench/bench_sweep.py

# The sweep driver's peak RSS over RUNS runs of the default scenario, at two simulated
# durations (`make bench` runs 40; the issue's proof: make bench-sweep-memory RUNS=1000).
RUNS ?= 40
bench-sweep-memory: setup
	$(PY) bench/bench_sweep_memory.py --runs $(RUNS)

clean:
	rm -rf $(VENV) build dist node_modules .pytest_cache .mypy_cache .ruff_cache archgen-out
