# wirebook's build and test entry points. `make run` builds everything and starts wirebook;
# `make test` is what CI runs (.ci/run). scripts/bootstrap.sh installs the tools both need,
# skipping whatever is already there.

SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := run

ROOT := $(CURDIR)
CARGO_BIN := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
export PATH := $(CARGO_BIN):$(PATH)
# The server's integration tests run Python peers (websocket-client) from the project venv.
export WIREBOOK_PYTHON := $(ROOT)/.venv/bin/python
# trunk's update check talks to crates.io on every run; it has nothing to do with a build.
export TRUNK_SKIP_VERSION_CHECK := true
# The frontend's browser tests: wasm-bindgen-test-runner (.cargo/config.toml) drives headless
# Chromium through Debian's chromedriver, named here so that it never looks for another.
export CHROMEDRIVER := /usr/bin/chromedriver

# Cargo's output directory: CARGO_TARGET_DIR when set (e.g. a clean clone reusing a checkout's
# build cache), else target/.
CARGO_TARGET := $(or $(CARGO_TARGET_DIR),$(ROOT)/target)
WIREBOOK := $(CARGO_TARGET)/release/wirebook
# The e2e suite's UI build, kept apart from dist/ (the release UI that `make run` serves).
E2E_DIST := target/e2e/dist
# Arguments for `make run`, e.g. `make run ARGS='--bind 127.0.0.1:9000'`.
ARGS ?=

.PHONY: run bootstrap bootstrap-test bootstrap-bench ui server lint unit e2e test

## run: install the tools, build the UI and the server (release), start wirebook on 127.0.0.1:8977
run: bootstrap ui server
	$(WIREBOOK) --dist dist $(ARGS)

bootstrap:
	scripts/bootstrap.sh run

## bootstrap-bench: what `make test` needs, plus the benches' yardsticks (websocat for tap_load)
bootstrap-bench:
	scripts/bootstrap.sh bench

# `make test` bootstraps once and tells the sub-makes so (BOOTSTRAPPED=1).
bootstrap-test:
	$(if $(BOOTSTRAPPED),@true,scripts/bootstrap.sh test)

## ui: build the browser UI into dist/ with trunk (release, offline: see Trunk.toml)
ui:
	cargo fetch --target wasm32-unknown-unknown
	trunk build --release

## server: build the wirebook binary (release)
server:
	cargo build --release -p wirebook-server --bin wirebook

## lint: formatting and clippy, host and wasm32, warnings are errors; no import circle
## between the modules of a crate
lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p wirebook-frontend --target wasm32-unknown-unknown --all-targets -- -D warnings
	cargo clippy -p wirebook-shared -p wirebook-notebook --target wasm32-unknown-unknown -- -D warnings
	scripts/module_cycles.py shared/src notebook/src server/src frontend/src

## unit: the Rust test suites (nextest when installed, else cargo test), then the frontend's
## tests that need the DOM, in headless Chromium (wasm-bindgen-test)
unit: bootstrap-test
	if cargo nextest --version >/dev/null 2>&1; then \
		cargo nextest run --workspace; \
	else \
		cargo test --workspace; \
	fi
	cargo test -p wirebook-frontend --target wasm32-unknown-unknown

## e2e: Playwright drives Debian's Chromium against a debug build of the UI and the server
## (debug: half the compile time of release, and debug assertions stay on)
e2e: bootstrap-test
	cargo fetch --target wasm32-unknown-unknown
	trunk build --dist $(E2E_DIST)
	cargo build -p wirebook-server --bin wirebook
	cd e2e && WIREBOOK_BIN=$(CARGO_TARGET)/debug/wirebook WIREBOOK_DIST=$(ROOT)/$(E2E_DIST) \
		npx playwright test

## test: everything CI checks, the e2e summary line last
test: bootstrap-test
	$(MAKE) --no-print-directory BOOTSTRAPPED=1 lint
	$(MAKE) --no-print-directory BOOTSTRAPPED=1 unit
	$(MAKE) --no-print-directory BOOTSTRAPPED=1 e2e
