# The README's entry points: `make build`, `make run`, `make test`, `make bench`, `make clean`.
# CMake does the real work; this file only strings the steps together.

BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)

.PHONY: all deps build run test bench clean backends-up backends-down

all: build

# Installs missing Debian packages; a no-op (well under a second) when all are present.
deps:
	bash scripts/install-deps.sh

build: deps
	cmake -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=$(BUILD_TYPE)
	cmake --build $(BUILD_DIR) -j$(JOBS)

# Starts the gateway on embedded defaults (data in ./data), deploys examples/handlers and stays
# in the foreground until Ctrl-C.
run: build
	EDGEGATE_BIN=$(BUILD_DIR)/src/cli/edgegate bash scripts/run.sh

# Unit tests (label `unit`) and end-to-end tests against the real binary (label `e2e`), with the
# real backend servers of scripts/backends/ (PostgreSQL, MariaDB, Redis, ...) running for the
# whole run: started first, stopped afterwards also when a test fails or on Ctrl-C (the trap
# keeps the shell alive until down.sh has run); ctest's exit code is kept.
BACKENDS_DIR ?= $(or $(EDGEGATE_BACKENDS_DIR),$(CURDIR)/build/backends)
test: build
	@status=0; trap : INT TERM; \
	EDGEGATE_BACKENDS_DIR=$(BACKENDS_DIR) bash scripts/backends/up.sh || status=$$?; \
	if [ $$status -eq 0 ]; then \
	  EDGEGATE_BACKENDS_ENV=$(abspath $(BACKENDS_DIR))/env.json EDGEGATE_REQUIRE_BACKENDS=1 \
	    ctest --test-dir $(BUILD_DIR) --output-on-failure --no-tests=error -j2 || status=$$?; \
	fi; \
	EDGEGATE_BACKENDS_DIR=$(BACKENDS_DIR) bash scripts/backends/down.sh || true; \
	exit $$status

# Starts the backend servers for tests by hand (reuses running ones) and checks each with a real
# client; `source build/backends/env.sh` then exports their ports and credentials.
backends-up:
	EDGEGATE_BACKENDS_DIR=$(BACKENDS_DIR) bash scripts/backends/up.sh
	EDGEGATE_BACKENDS_DIR=$(BACKENDS_DIR) bash scripts/backends/check.sh

# Stops the backend servers started by `make backends-up` or an interrupted `make test`.
backends-down:
	EDGEGATE_BACKENDS_DIR=$(BACKENDS_DIR) bash scripts/backends/down.sh

# Benchmarks against peers (nginx, nginx+Lua, Node.js) in a Release build; writes
# bench/RESULTS.md. `make bench BENCH_ARGS=--quick` is a smoke run of about 1.5 minutes.
BENCH_DIR  ?= build-release
BENCH_ARGS ?=
bench: deps
	bash scripts/install-bench-deps.sh
	cmake -S . -B $(BENCH_DIR) -DCMAKE_BUILD_TYPE=Release
	cmake --build $(BENCH_DIR) -j$(JOBS) --target edgegate edgegate_sdk_tree dispatch_bench
	/usr/bin/python3 bench/load/run.py $(BENCH_ARGS) --bin $(BENCH_DIR)/src/cli/edgegate \
	  --sdk-dir $(BENCH_DIR)/sdk --micro $(BENCH_DIR)/bench/micro/dispatch_bench \
	  --out bench/RESULTS.md

clean:
	rm -rf $(BUILD_DIR)
