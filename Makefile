# Vigil developer entry points. `make run` and `make test` set everything up on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-stamp
NODE_STAMP := node_modules/.installed-stamp
PROTOS := $(wildcard proto/vigil/v1/*.proto)
export GRPC_VERBOSITY ?= ERROR

.PHONY: setup run tui bridge edge chart-assets browser-deps test lint fmt proto proto-check bench certs clean-db fake-tradovate fake-tradovate-broker fake-projectx fake-projectx-broker fake-trade-manager help

help:
	@echo "make run        start the server (embedded PostgreSQL, simulated feed) on 127.0.0.1:50051"
	@echo "make tui        start the terminal UI against the running server"
	@echo "make bridge     start the TradingView webhook bridge (set VIGIL_WEBHOOK_SECRET)"
	@echo "make edge       start the HTTP edge: chart, UDF datafeed (+ webhooks with VIGIL_WEBHOOK_SECRET) on :8080"
	@echo "make test       run the whole test suite"
	@echo "make lint       ruff, mypy, buf lint, import-linter, generated-code check"
	@echo "make proto      regenerate Python code from proto/"
	@echo "make certs      a development CA, server and client certificates in ./certs (TLS, mutual TLS)"
	@echo "make bench      run the benchmarks and print figures"
	@echo "make fake-tradovate      serve the fake Tradovate (REST + md socket) on 127.0.0.1:8765"
	@echo "make fake-tradovate-broker  serve the fake Tradovate trading server (orders, user data) on 127.0.0.1:8768"
	@echo "make fake-projectx       serve the fake ProjectX Gateway (REST + market hub) on 127.0.0.1:8766"
	@echo "make fake-projectx-broker  serve the fake ProjectX gateway for orders (REST + user hub) on 127.0.0.1:8769"
	@echo "make fake-trade-manager  serve the fake Trade Manager price stream on 127.0.0.1:8767"

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json
	npm install --no-audit --no-fund --loglevel=error
	touch $@

setup: $(STAMP)

run: $(STAMP)
	VIGIL_STRATEGY_DIR=$${VIGIL_STRATEGY_DIR-strategies/examples} $(PY) -m core_server

tui: $(STAMP)
	$(PY) -m tui

# The TradingView webhook bridge; needs VIGIL_WEBHOOK_SECRET (or VIGIL_WEBHOOK_SECRETS) and a running server.
bridge: $(STAMP)
	$(PY) -m clients.webhook_bridge

# The HTTP edge: the browser chart at /chart/, the TradingView UDF datafeed at /udf, and the webhook routes
# when VIGIL_WEBHOOK_SECRET(S) is set; needs a running server.
edge: $(STAMP) chart-assets
	$(PY) -m clients.http_edge

# lightweight-charts (pinned in package.json) copied from npm into the edge's static directory: no CDN at run time.
CHART_VENDOR := clients/http_edge/static/vendor/lightweight-charts.standalone.production.js
chart-assets: $(CHART_VENDOR)

$(CHART_VENDOR): $(NODE_STAMP)
	mkdir -p $(dir $@)
	cp node_modules/lightweight-charts/dist/lightweight-charts.standalone.production.js $@

# The browser test drives Debian's Chromium (root installs it when missing; anyone else is told how).
browser-deps: chart-assets
	@if [ ! -x /usr/bin/chromium ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	  else \
	    echo "the browser test needs Debian's chromium: sudo apt-get install -y chromium" >&2; exit 1; \
	  fi; \
	fi
	@/usr/bin/chromium --version

test: $(STAMP) browser-deps
	$(PY) -m pytest -q

lint: $(STAMP) $(NODE_STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	npx --no-install buf lint
	$(VENV)/bin/lint-imports
	$(MAKE) --no-print-directory proto-check
	$(PY) -m core_server.calendar.generate_sessions --check

fmt: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

# Generated code lives beside the protos so `from vigil.v1 import market_data_pb2` works anywhere.
define GEN
	$(PY) -m grpc_tools.protoc -I proto \
	  --plugin=protoc-gen-mypy=$(VENV)/bin/protoc-gen-mypy \
	  --plugin=protoc-gen-mypy_grpc=$(VENV)/bin/protoc-gen-mypy_grpc \
	  --python_out=$(1) --grpc_python_out=$(1) --mypy_out=$(1) --mypy_grpc_out=$(1) $(PROTOS) >/dev/null && \
	touch $(1)/vigil/__init__.py $(1)/vigil/v1/__init__.py $(1)/vigil/py.typed
endef

proto: $(STAMP)
	$(call GEN,proto)

proto-check: $(STAMP)
	@tmp=$$(mktemp -d) && mkdir -p $$tmp/vigil/v1 && \
	$(call GEN,$$tmp) && \
	for f in $$tmp/vigil/v1/*; do cmp -s $$f proto/vigil/v1/$$(basename $$f) || { echo "generated code is stale: $$(basename $$f) (run make proto)"; rm -rf $$tmp; exit 1; }; done; \
	rm -rf $$tmp; echo "generated code is up to date"

bench: $(STAMP)
	$(PY) -m bench

# A local development CA with a server and a client certificate (cryptography library): see README "TLS".
certs: $(STAMP)
	$(PY) -m clients.cli certs --out certs

fake-tradovate: $(STAMP)
	$(PY) -m core_server.feeds.fakes.tradovate --port 8765

fake-tradovate-broker: $(STAMP)
	$(PY) -m core_server.feeds.fakes.tradovate_orders --port 8768

fake-projectx: $(STAMP)
	$(PY) -m core_server.feeds.fakes.projectx --port 8766

fake-projectx-broker: $(STAMP)
	$(PY) -m core_server.feeds.fakes.projectx_orders --port 8769

fake-trade-manager: $(STAMP)
	$(PY) -m core_server.feeds.fakes.trade_manager --port 8767

clean-db:
	@echo "the embedded database lives in $${VIGIL_DATA_DIR:-$${XDG_DATA_HOME:-$$HOME/.local/share}/vigil}"
