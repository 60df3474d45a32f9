# Every target sets up what it needs: a fresh Debian machine with Python 3.11 needs nothing else.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)

.PHONY: run test unit integration setup system-deps bench schema clean

## Run the embedded stack: broker, 2 workers, Prometheus, Alertmanager, simulated traffic.
run: setup
	$(BIN)/cxpulse up

## Run the whole test suite (unit, static checks and integration against real processes).
test: setup
	$(BIN)/pytest

unit: setup
	$(BIN)/pytest tests/unit

integration: setup
	$(BIN)/pytest tests/integration

bench: setup
	$(BIN)/python -m bench.ingest

schema: setup
	$(BIN)/cxpulse schema schemas

setup: $(STAMP) system-deps

$(STAMP): pyproject.toml
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
