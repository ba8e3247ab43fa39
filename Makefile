# Every target installs what it needs on a fresh machine. See README.md.
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
TOOLS := .tools
CDK_CLI_VERSION := 2.1148.1
CHECKOV_VERSION := 3.3.30
CDK := $(TOOLS)/node_modules/.bin/cdk
CHECKOV := $(TOOLS)/checkov/bin/checkov
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: help setup test test-fast test-fork lint synth generate policies demo bench-synth bench-ledger bench lock clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(VENV)/.installed: pyproject.toml requirements.lock
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.11" >&2; exit 2; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip==26.3
	$(PY) -m pip install -q --require-hashes -r requirements.lock
	$(PY) -m pip install -q --no-deps -e .
	@# The wheel leaves sandbox/ out; this puts the checkout on sys.path so `.venv/bin/modelops sandbox up` finds it.
	$(PY) -c 'import pathlib, sysconfig; pathlib.Path(sysconfig.get_path("purelib"), "modelops-checkout.pth").write_text(str(pathlib.Path.cwd()) + "\n")'
	@touch $@

# checkov pins old boto3 and packaging, so it lives in a venv of its own.
$(CHECKOV):
	$(PYTHON) -m venv $(TOOLS)/checkov
	$(TOOLS)/checkov/bin/pip install -q checkov==$(CHECKOV_VERSION)

# The CDK CLI 3.x refuses aws-cdk-lib 2.275 assemblies; 2.x is pinned here and in the workflow.
$(CDK):
	npm install --silent --no-fund --no-audit --prefix $(TOOLS) aws-cdk@$(CDK_CLI_VERSION)

# The review-page tests and the demo drive Debian's Chromium (a registry package, never a browser download).
CHROMIUM := /usr/bin/chromium /usr/bin/chromedriver
$(CHROMIUM):
	@if [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver >/dev/null; \
	else \
		echo "error: Chromium is missing; run: sudo apt-get update && sudo apt-get install -y chromium chromium-driver" >&2; exit 2; \
	fi

setup: $(VENV)/.installed $(CHECKOV) $(CDK) $(CHROMIUM) ## Install the venv, checkov, the CDK CLI and Chromium

test: $(VENV)/.installed $(CHECKOV) $(CHROMIUM) ## Run every test but the fork tier, with coverage (floor in pyproject.toml)
	$(PY) -m pytest -q -n auto --dist loadfile --cov --cov-report=term:skip-covered -m "not fork"

test-fast: $(VENV)/.installed ## Run the tests not marked slow (no synth, sandbox, browser or external tools)
	$(PY) -m pytest -q -m "not slow and not fork"

test-fork: $(VENV)/.installed $(CHECKOV) $(CHROMIUM) ## A copy adapted to another organisation: generate, then its whole suite (minutes)
	$(PY) -m pytest -q -s -m fork -p no:cacheprovider

lint: $(VENV)/.installed ## ruff, mypy and import-linter (the same checks as .pre-commit-config.yaml)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy .
	$(VENV)/bin/lint-imports

synth: generate ## Synthesize cdk.out/ (synth writes nothing else), then run the generate step

generate: $(VENV)/.installed ## Regenerate every committed generated file: deploy.yml, CODEOWNERS, policies/rendered, access.yaml draft, ACCESS.md
	$(PY) -m deployment.generate

policies: generate ## Same as generate (kept for muscle memory)

demo: $(VENV)/.installed $(CHROMIUM) ## Run a model's whole lifecycle against the local sandbox
	$(PY) -m demo

bench-synth: $(VENV)/.installed ## Benchmark: synth wall time: a trivial app, the sandbox org, 50 x 2 and 500 x 4
	$(PY) -m benchmarks.synth --large

bench-ledger: $(VENV)/.installed ## Benchmark: the audit ledger at 10,000 records (append, history, --verify; minutes)
	$(PY) -m benchmarks.ledger

bench: bench-synth bench-ledger ## Every benchmark: synth, ledger, IAM sweep, sandbox IAM, promote calls, status, verify, quotas
	$(PY) -m benchmarks.iam_sweep
	$(PY) -m benchmarks.sandbox_iam
	$(PY) -m benchmarks.promote_calls
	$(PY) -m benchmarks.status_board
	$(PY) -m benchmarks.verify
	$(PY) -m benchmarks.quotas

# pip-compile keeps the pins requirements.lock already has unless pyproject.toml's pins need others, and takes
# every file's hash from the default index (no local pip config, find-links or extra indexes).
PIP_TOOLS_VERSION := 7.7.0
lock: ## Re-resolve requirements.lock, with hashes, from pyproject.toml's pins and the dev extra
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install -q --upgrade pip==26.3 pip-tools==$(PIP_TOOLS_VERSION)
	tail -n +3 requirements.lock > .lock-venv/requirements.txt
	env -u PIP_FIND_LINKS -u PIP_EXTRA_INDEX_URL -u PIP_INDEX_URL -u PIP_CONSTRAINT PIP_CONFIG_FILE=/dev/null \
		.lock-venv/bin/pip-compile -q --extra dev --generate-hashes --allow-unsafe --strip-extras --no-header \
		--output-file .lock-venv/requirements.txt pyproject.toml
	{ head -n 2 requirements.lock; cat .lock-venv/requirements.txt; } > requirements.lock.new
	mv requirements.lock.new requirements.lock && rm -rf .lock-venv

clean: ## Remove generated build output (keeps the venvs)
	rm -rf cdk.out .pytest_cache .mypy_cache .ruff_cache .coverage .coverage.* htmlcov
