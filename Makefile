# Every target sets up what it needs: a fresh Debian or Ubuntu machine with Python 3.11, 3.12 or
# 3.13 (and its venv module) needs nothing else.
SUPPORTED := 3.11, 3.12 or 3.13
IS_SUPPORTED := import sys; sys.exit(not (3, 11) <= sys.version_info[:2] <= (3, 13))
VERSION_OF := import sys; print("%d.%d" % sys.version_info[:2])
# PYTHON=... (command line or environment) wins; otherwise the newest supported interpreter on
# PATH. A name on PATH may not run (a pyenv shim of a version not selected), so each is run.
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in python3.13 python3.12 python3.11 python3; do \
  $$p -c '$(IS_SUPPORTED)' >/dev/null 2>&1 && { echo $$p; break; }; done)
endif
PYTHON_VERSION := $(if $(PYTHON),$(shell $(PYTHON) -c '$(VERSION_OF)' 2>/dev/null))
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(PYTHON_VERSION)-$(shell sha1sum pyproject.toml | cut -c1-12)
# Python 3.13 for unit-py313: on PATH, else the newest pyenv-installed 3.13 (not selected).
PYTHON313 ?= $(shell { python3.13 -c '' >/dev/null 2>&1 && echo python3.13; } || \
  ls -d $$(pyenv root 2>/dev/null || echo $$HOME/.pyenv)/versions/3.13*/bin/python3.13 \
  2>/dev/null | sort -V | tail -n 1)

.PHONY: run test unit unit-py313 integration setup python-check system-deps bench schema clean

## Run the embedded stack: broker, 2 workers, Prometheus, Alertmanager, simulated traffic.
run: setup
	$(BIN)/cxpulse up

## Run the whole test suite (unit, static checks and integration against real processes).
test: setup
	$(BIN)/pytest

unit: setup
	$(BIN)/pytest tests/unit

## The unit suite on Python 3.13 too, in its own venv (.venv-3.13); skipped, saying so, when no
## Python 3.13 is found.
unit-py313:
	@if [ -z "$(PYTHON313)" ]; then \
	  echo "unit-py313: no Python 3.13 on PATH or in pyenv: skipped"; \
	else \
	  $(MAKE) --no-print-directory unit PYTHON=$(PYTHON313) VENV=.venv-3.13; \
	fi

integration: setup
	$(BIN)/pytest tests/integration

bench: setup
	$(BIN)/python -m bench.ingest

schema: setup
	$(BIN)/cxpulse schema schemas

setup: $(STAMP) system-deps

## Stop before anything is installed when no supported interpreter is there, saying which to get.
python-check:
	@if [ -z "$(PYTHON)" ]; then \
	  echo "No supported Python found: cxpulse needs Python $(SUPPORTED) (tried python3.13," \
	    "python3.12, python3.11, python3). Install one (Debian 12 or 13, Ubuntu 24.04: 'sudo" \
	    "apt-get install python3 python3-venv'; elsewhere e.g. 'pyenv install 3.13') or name" \
	    "it: make PYTHON=/path/to/python3.12" >&2; \
	  exit 1; \
	fi
	@if ! $(PYTHON) -c '$(IS_SUPPORTED)' >/dev/null 2>&1; then \
	  echo "PYTHON=$(PYTHON) is Python $(or $(PYTHON_VERSION),that does not run); cxpulse" \
	    "needs Python $(SUPPORTED). Name another, or unset PYTHON to let make pick one." >&2; \
	  exit 1; \
	fi

# A venv of another Python version is made anew: pip cannot move installed packages across.
$(STAMP): pyproject.toml | python-check
	@if [ -x $(BIN)/python ] && [ "$$($(BIN)/python -c '$(VERSION_OF)')" != "$(PYTHON_VERSION)" ]; then \
	  echo "$(VENV) holds another Python than $(PYTHON) ($(PYTHON_VERSION)): making it anew"; \
	  rm -rf $(VENV); \
	fi
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	rm -f $(VENV)/.installed-*
	touch $@

## Prometheus 2.42 (with promtool) and Alertmanager 0.25 (with amtool) from Debian.
system-deps:
	@if ! command -v promtool >/dev/null || ! command -v amtool >/dev/null; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq prometheus prometheus-alertmanager >/dev/null; \
	  else \
	    echo "Prometheus/Alertmanager missing: sudo apt-get install prometheus prometheus-alertmanager" >&2; \
	    exit 1; \
	  fi; \
	fi

clean:
	rm -rf run build .pytest_cache
