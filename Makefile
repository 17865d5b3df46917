# model-copy: every command installs what it needs first (venvs, packages, npm tools).
#   make demo   - the whole copy from account A to B on the embedded local cloud
#   make test   - every static check and every test (what CI runs)
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
TOOLS := .venv-tools
PIP_QUIET := --quiet --disable-pip-version-check
# Offline-safe settings for SAM CLI and the static checks (no AWS account is used).
export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY := 0
export SAM_CLI_POLL_DELAY := 1
export CHECKOV_RUN_SCA_PACKAGE_SCAN_V2 := false
export BC_SKIP_MAPPING := TRUE
export PIP_NO_WARN_SCRIPT_LOCATION := 1

.PHONY: help install tools demo test unit integration lint bench local-up local-down build clean

help:
	@echo "make demo        copy a demo model from account A to B on the local cloud"
	@echo "make test        static checks + all tests (CI runs this)"
	@echo "make local-up    start the local cloud and deploy both sides; make local-down stops it"
	@echo "make bench       benchmarks on the local cloud (.bench/latest.json)"
	@echo "make build       sam build (deployment packages for real AWS)"

$(BIN)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install $(PIP_QUIET) --upgrade pip 2>&1 | grep -v "^WARNING: Location" || true
	$(BIN)/pip install $(PIP_QUIET) -e ".[dev]" 2>&1 | grep -v "^WARNING: Location" ; test $${PIPESTATUS[0]} -eq 0
	touch $@

# aws-sam-cli and checkov pin boto3 differently from moto: each gets a venv of its own.
$(TOOLS)/sam/.installed:
	$(PYTHON) -m venv $(TOOLS)/sam
	$(TOOLS)/sam/bin/pip install $(PIP_QUIET) aws-sam-cli==1.170.0 2>&1 | grep -v "^WARNING: Location" ; test $${PIPESTATUS[0]} -eq 0
	touch $@

$(TOOLS)/checkov/.installed:
	$(PYTHON) -m venv $(TOOLS)/checkov
	$(TOOLS)/checkov/bin/pip install $(PIP_QUIET) checkov==3.3.30 2>&1 | grep -v "^WARNING: Location" ; test $${PIPESTATUS[0]} -eq 0
	touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(BIN)/.installed
tools: $(BIN)/.installed $(TOOLS)/sam/.installed $(TOOLS)/checkov/.installed node_modules/.installed

demo: install
	$(BIN)/model-copy demo

local-up: install
	$(BIN)/model-copy local up$(if $(TEMPLATE), --template $(TEMPLATE))$(if $(PARAMS), --parameter-overrides $(PARAMS))

local-down: install
	$(BIN)/model-copy local down

lint: tools
	PATH="$(CURDIR)/$(BIN):$(CURDIR)/$(TOOLS)/sam/bin:$(CURDIR)/$(TOOLS)/checkov/bin:$(CURDIR)/node_modules/.bin:$$PATH" \
		$(BIN)/python -m tests.static_checks

unit: install
	$(BIN)/python -m pytest tests/unit -q

integration: install
	$(BIN)/python -m pytest tests/local_cloud tests/integration -q

test: lint
	$(BIN)/python -m pytest -q -n 3 --dist loadfile

bench: install
	$(BIN)/python -m bench

build: tools
	PATH="$(CURDIR)/$(TOOLS)/sam/bin:$$PATH" sam build --parameter-overrides Side=both

clean:
	rm -rf $(VENV) $(TOOLS) node_modules .aws-sam .local-cloud .bench
