# Two commands on a fresh machine: `make demo` and `make test`. Everything else is a step of those.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
SAM_VENV := .venv-sam
SAM := $(SAM_VENV)/bin/sam
SAM_CLI_VERSION := 1.170.0
export SAM_CLI_TELEMETRY := 0
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: demo test lint typecheck templates unit integration e2e api-fuzz soak bench install build clean

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

install: $(VENV)/.installed

demo: install
	$(VENV)/bin/tidemark demo

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: install
	$(VENV)/bin/mypy

templates: install $(SAM_VENV)/.installed
	$(VENV)/bin/cfn-lint template.yaml
	$(SAM) validate --lint --region us-east-1

unit: install
	$(VENV)/bin/pytest -m unit -q

integration: install
	$(VENV)/bin/pytest -m integration -q

e2e: install
	$(VENV)/bin/pytest -m e2e -q

test: lint typecheck templates
	$(VENV)/bin/pytest -q

# The console API fuzzed longer than `make test` does (tests/e2e/test_api_fuzz.py): fuzzing-phase cases
# per operation, and a new seed each run unless TIDEMARK_FUZZ_SEED is set. For `make soak`.
TIDEMARK_FUZZ_EXAMPLES ?= 200
api-fuzz: install
	TIDEMARK_FUZZ_EXAMPLES=$(TIDEMARK_FUZZ_EXAMPLES) $(VENV)/bin/pytest -q -s tests/e2e/test_api_fuzz.py

# The soak campaign (bench/soak.py, tidemark/soak.py): SOAK_SEEDS seeds of SOAK_SECONDS of workload under
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
	rm -rf $(VENV) $(SAM_VENV) .aws-sam .mypy_cache .ruff_cache .pytest_cache
