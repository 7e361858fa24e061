# The README's entry points: `make build`, `make run`, `make test`, `make bench`, `make clean`.
# CMake does the real work; this file only strings the steps together.

BUILD_DIR  ?= build
BUILD_TYPE ?= RelWithDebInfo
JOBS       ?= $(shell nproc)

.PHONY: all deps build run test bench clean

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

# Unit tests (label `unit`) and end-to-end tests against the real binary (label `e2e`).
test: build
	ctest --test-dir $(BUILD_DIR) --output-on-failure --no-tests=error -j2

# Benchmarks against peers (nginx, nginx+Lua, Node.js) in a Release build; writes
# bench/RESULTS.md. `make bench BENCH_ARGS=--quick` is a one-minute smoke run.
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
