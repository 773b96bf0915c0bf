# Backorder management: build, local demo stack and tests.
# A fresh clone needs only Go and PostgreSQL; everything else is fetched or
# built on demand (the Temporal CLI from the Go module proxy, cached outside
# the checkout in BACKORDER_TOOLS_DIR, default ~/.cache/backorder-tools).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := build

GO ?= go
# Static checks, pinned (go run caches them): workflow code is
# deterministic; staticcheck's bugs, deprecations and dead code.
WORKFLOWCHECK := go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
UI_URL ?= http://localhost:$(or $(TEMPORAL_UI_PORT),8233)
WEB_URL ?= $(or $(BACKORDER_PUBLIC_URL),http://$(or $(BACKORDER_HTTP_ADDR),127.0.0.1:8080))

.PHONY: build tools postgres up down status demo check test bench chaos screenshots upgrade-drill

# What --version prints: the commit and the build time (GOFLAGS may turn
# off the toolchain's own VCS stamping).
BUILDINFO := github.com/acme/backorders/internal/buildinfo
LDFLAGS := -X $(BUILDINFO).Version=$(shell git describe --tags --always --dirty 2>/dev/null) \
	-X $(BUILDINFO).Commit=$(shell git rev-parse HEAD 2>/dev/null) \
	-X $(BUILDINFO).Date=$(shell date -u +%Y-%m-%dT%H:%M:%SZ)

## build: compile bin/worker and bin/starter
build:
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/worker ./worker
	$(GO) build -ldflags "$(LDFLAGS)" -o bin/starter ./starter

## tools: make sure the pinned Temporal CLI (dev server + Web UI) is installed
tools:
	@scripts/ensure-temporal.sh >/dev/null

## postgres: make sure PostgreSQL from DATABASE_URL answers (starts a local cluster)
postgres:
	@scripts/ensure-postgres.sh

## up: start the Temporal dev server, set up the database and Temporal, start the worker and the web app (background)
up: tools postgres build
	@scripts/stack.sh up --no-worker
	bin/starter setup
	@scripts/stack.sh up

## down: stop the web app, the worker and the Temporal dev server
down:
	@scripts/stack.sh down

## status: show what the local stack runs
status:
	@scripts/stack.sh status

## demo: start everything, seed 200 orders, run one sweep, add a demo admin; leaves it running
# The demo admin gets a new random password on every run, printed once.
demo: up
	bin/starter seed --orders 200
	bin/starter sweep --wait
	@password="$$(head -c 24 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')"; \
	printf '%s' "$$password" | bin/starter users add demo --role admin --reset >/dev/null; \
	echo; \
	echo "The demo is running (stop it with: make down)."; \
	echo; \
	echo "  Web app:          $(WEB_URL)"; \
	echo "    sign in as demo, password $$password (shown this once; make demo sets a new one)"; \
	echo "    add people: bin/starter users add NAME --role procurement_manager (password on stdin)"
	@echo
	@echo "  Temporal Web UI:  $(UI_URL)"
	@echo "  Try this filter in the workflow list:"
	@echo '    BackorderStage="awaiting_fulfillment" AND BackorderValue > 1000'
	@echo
	@echo "  Next:"
	@echo "    bin/starter tasks          the open tasks waiting for people"
	@echo "    bin/starter status SO-...  one order's backorders (order numbers: see the Web UI)"
	@echo "    make status                what runs (logs in .run/)"
	@echo "    make down                  stop the web app, the worker and the dev server"

## check: the fast tier, no services: gofmt, vet, staticcheck, workflowcheck, unit tests with -race -short
check:
	@unformatted="$$(gofmt -l .)"; \
	if [ -n "$$unformatted" ]; then echo "gofmt needed on:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) run $(WORKFLOWCHECK) ./...
	$(GO) test -count=1 -race -short ./...

## test: make check, then every tier against real PostgreSQL and Temporal dev servers
test: check
	@scripts/ensure-postgres.sh
	@TEMPORAL_CLI_PATH="$$(scripts/ensure-temporal.sh)"; \
	export TEMPORAL_CLI_PATH; \
	echo "TEMPORAL_CLI_PATH=$$TEMPORAL_CLI_PATH"; \
	$(GO) test -count=1 -timeout 20m ./...

## bench: the whole-process benchmark (BENCH_ORDERS, BENCH_OVERDUE, BENCH_REPORT_INCIDENTS, BENCH_SKIP); writes bench/results.json
bench: tools postgres build
	@TEMPORAL_CLI_PATH="$$(scripts/ensure-temporal.sh)"; \
	export TEMPORAL_CLI_PATH; \
	$(GO) run ./internal/testing/bench/cmd/bench --out bench/results.json --worker bin/worker

## screenshots: run `make demo`, photograph its Web UI into docs/images (headless Chromium: apt-get install chromium), then make down
screenshots: demo
	@status=0; $(GO) run ./internal/testing/webshots --ui $(UI_URL) --out docs/images || status=$$?; \
	$(MAKE) --no-print-directory down; exit $$status

## chaos: the fault drills (CHAOS_ORDERS, default 300 per drill; CHAOS_DB_OUTAGE, ...); prints a table, fails if a drill does
chaos: tools postgres build
	@TEMPORAL_CLI_PATH="$$(scripts/ensure-temporal.sh)"; \
	export TEMPORAL_CLI_PATH; \
	$(GO) run ./internal/testing/chaos/cmd/chaos --worker bin/worker

## upgrade-drill: an older release's worker and this build side by side, then the old one stopped (UPGRADE_FROM=commit, tag or branch; default in internal/testing/chaos/upgrade.go)
upgrade-drill: tools postgres
	@TEMPORAL_CLI_PATH="$$(scripts/ensure-temporal.sh)"; \
	export TEMPORAL_CLI_PATH; \
	$(GO) test -count=1 -run '^TestUpgradeDrill$$' -v ./internal/testing/chaos/
