#!/usr/bin/env bash
# Installs what building, running and testing wirebook needs, skipping whatever is already
# present at the right version, so a second run takes a second or two.
#
#   scripts/bootstrap.sh run    # to build and run: wasm32 target, trunk, wasm-bindgen-cli,
#                               # wasm-split-cli, Node.js, npm, esbuild, brotli and the cell
#                               # editor's npm packages
#   scripts/bootstrap.sh test   # the above, plus Chromium and chromedriver, nginx-light, tshark,
#                               # the Python venv and the e2e npm deps
#   scripts/bootstrap.sh bench  # the above, plus websocat 1.x, the tap proxy's yardstick in
#                               # `cargo bench --bench tap_load` (docs/benchmarks.md)
#
# Nothing here downloads a prebuilt binary: the Rust tools are compiled from crates.io, Chromium,
# chromedriver, tshark, Node.js, esbuild and brotli come from Debian, Python packages from
# PyPI, npm packages from the npm registry (with Playwright's own browser download switched off).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CARGO_BIN="${CARGO_HOME:-$HOME/.cargo}/bin"
export PATH="$CARGO_BIN:$PATH"

# trunk 0.22 needs a newer rustc than the machine's 1.95; 0.21.14 builds with it.
TRUNK_VERSION="0.21.14"
NEXTEST_VERSION="0.9.143"
# The websocat the tap_load figures in docs/benchmarks.md were measured against.
WEBSOCAT_VERSION="1.14.1"
# The wasm splitter cargo-leptos uses (scripts/split_wasm.py, trunk's post_build hook).
WASM_SPLIT_VERSION="0.2.4"
CHROMIUM="/usr/bin/chromium"
CHROMEDRIVER="/usr/bin/chromedriver"
VENV="$ROOT/.venv"
REQUIREMENTS="$ROOT/requirements-test.txt"

step() { printf '==> %s\n' "$*"; }
skip() { printf '    %s\n' "$*"; }
die() { printf 'bootstrap: %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        die "need root (or sudo) to run: $*"
    fi
}

APT_UPDATED=0
apt_install() {
    if [ "$APT_UPDATED" -eq 0 ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update
        APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
}

# sha256 of a file, used as the stamp that says "installed from exactly this file".
file_hash() { sha256sum "$1" | cut -d' ' -f1; }

# `npm ci` in DIR, unless its node_modules were installed from exactly its package-lock.json;
# any VAR=VALUE arguments after DIR go into npm's environment.
npm_ci_once() {
    local dir="$1"
    shift
    local lock="$dir/package-lock.json"
    local npm_stamp="$dir/node_modules/.package-lock.sha256"
    if [ -f "$npm_stamp" ] && [ "$(cat "$npm_stamp")" = "$(file_hash "$lock")" ]; then
        skip "already up to date"
    else
        (cd "$dir" && env "$@" npm ci --no-audit --no-fund)
        file_hash "$lock" >"$npm_stamp"
    fi
}

# The wasm-bindgen version Cargo.lock resolved: wasm-bindgen-cli must be exactly that version, or
# the generated JS glue does not match the wasm.
locked_wasm_bindgen_version() {
    awk '
        $0 == "[[package]]" { in_pkg = 0 }
        $0 == "name = \"wasm-bindgen\"" { in_pkg = 1; next }
        in_pkg && /^version = / { gsub(/"/, "", $3); print $3; exit }
    ' "$ROOT/Cargo.lock"
}

# Compiles NAME VERSION from crates.io (--locked) unless `NAME --version` already says so;
# TOOK says how long that takes.
ensure_crate_tool() {
    local name="$1" version="$2" took="$3"
    step "$name $version"
    if [ "$("$name" --version 2>/dev/null || true)" = "$name $version" ]; then
        skip "already installed"
    else
        skip "compiling from crates.io ($took)"
        cargo install "$name" --version "$version" --locked
    fi
}

ensure_rust_tools() {
    command -v cargo >/dev/null 2>&1 || die "cargo not found (install Rust with rustup first)"

    step "Rust target wasm32-unknown-unknown"
    if rustup target list --installed | grep -qx wasm32-unknown-unknown; then
        skip "already installed"
    else
        rustup target add wasm32-unknown-unknown
    fi

    ensure_crate_tool trunk "$TRUNK_VERSION" "12 to 20 minutes on 2 cores"

    local wbg
    wbg="$(locked_wasm_bindgen_version)"
    [ -n "$wbg" ] || die "no wasm-bindgen package in Cargo.lock"
    step "wasm-bindgen-cli $wbg (the version in Cargo.lock)"
    if [ "$(wasm-bindgen --version 2>/dev/null || true)" = "wasm-bindgen $wbg" ]; then
        skip "already installed"
    else
        # Not --locked: the CLI's own lockfile of that release may pin crates that need a newer
        # rustc than the machine's.
        cargo install wasm-bindgen-cli --version "$wbg"
    fi

    # It has no --version: cargo's own list of installed packages says which one is there.
    step "wasm-split-cli $WASM_SPLIT_VERSION (wasm_split_cli_support)"
    if cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:"; then
        skip "already installed"
    else
        skip "compiling from crates.io (about 2 minutes on 2 cores)"
        cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --locked \
            --features build-binary
    fi
}

# The cell editor (CodeMirror 6, frontend/editor) is bundled by frontend/build.rs with Debian's
# esbuild from the npm packages its package-lock.json pins: every cargo build of the frontend
# (trunk's, clippy's, the tests') needs both.
ensure_editor_tools() {
    ensure_node

    step "esbuild (from Debian) to bundle the cell editor"
    if command -v esbuild >/dev/null 2>&1; then
        skip "already installed ($(esbuild --version))"
    else
        apt_install esbuild
    fi

    step "cell editor npm packages (npm ci in frontend/editor)"
    npm_ci_once "$ROOT/frontend/editor"
}

# trunk's post_build hook (scripts/precompress.sh) writes a .br and a .gz beside every built
# asset; gzip is part of Debian's base system, brotli is not.
ensure_precompress_tools() {
    step "brotli (from Debian) to precompress the built UI"
    if command -v brotli >/dev/null 2>&1; then
        skip "already installed"
    else
        apt_install brotli
    fi
}

ensure_node() {
    step "Node.js and npm"
    if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
        skip "already installed ($(node --version))"
    else
        apt_install nodejs npm
    fi
}

ensure_test_tools() {
    step "cargo-nextest"
    if cargo nextest --version >/dev/null 2>&1; then
        skip "already installed"
    else
        # The machine image ships it; when it does not, build the release the image has (its
        # rust-version, 1.91, suits the machine's rustc). Not fatal: the Makefile falls back to
        # `cargo test` without it.
        cargo install cargo-nextest --version "$NEXTEST_VERSION" --locked \
            || skip "could not install cargo-nextest; make test will use cargo test"
    fi

    # The base-url e2e spec puts wirebook behind a real reverse proxy.
    step "nginx (nginx-light, from Debian) for the reverse-proxy e2e spec"
    if [ -x /usr/sbin/nginx ]; then
        skip "already installed"
    else
        apt_install nginx-light
    fi

    step "Chromium ($CHROMIUM, from Debian) for the e2e suite"
    if [ -x "$CHROMIUM" ]; then
        skip "already installed"
    else
        apt_install chromium
    fi

    # The pcapng export's test reads the file back with it. Its package asks whether
    # non-root users may capture: answered "no" beforehand (wirebook never captures packets).
    step "tshark (from Debian) for the pcapng export's test"
    if command -v tshark >/dev/null 2>&1; then
        skip "already installed"
    else
        echo "wireshark-common wireshark-common/install-setuid boolean false" \
            | as_root debconf-set-selections
        apt_install tshark
    fi

    # wasm-bindgen-test-runner (from wasm-bindgen-cli above) drives Chromium through it.
    step "chromedriver ($CHROMEDRIVER, from Debian) for the frontend's browser tests"
    if [ -x "$CHROMEDRIVER" ]; then
        skip "already installed"
    else
        apt_install chromium-driver
    fi

    # @playwright/test declares engines.node >= 20.
    local node_major
    node_major="$(node -p 'process.versions.node.split(".")[0]')"
    [ "$node_major" -ge 20 ] || die "the e2e suite needs Node.js >= 20, found $(node --version)"

    step "Python venv .venv ($(basename "$REQUIREMENTS"))"
    local stamp="$VENV/.requirements.sha256"
    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$(file_hash "$REQUIREMENTS")" ] \
        && [ -x "$VENV/bin/python" ]; then
        skip "already up to date"
    else
        [ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
        "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check -r "$REQUIREMENTS"
        file_hash "$REQUIREMENTS" >"$stamp"
    fi

    step "e2e npm packages (npm ci)"
    # Playwright must never fetch its own browsers: the suite drives Debian's Chromium.
    npm_ci_once "$ROOT/e2e" PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1
}

# The benches' yardsticks: websocat for tap_load (the others use what `test` installs).
ensure_bench_tools() {
    ensure_crate_tool websocat "$WEBSOCAT_VERSION" "about a minute on 2 cores"
}

PART="${1:-run}"
case "$PART" in
    run)
        ensure_rust_tools
        ensure_editor_tools
        ensure_precompress_tools
        ;;
    test)
        ensure_rust_tools
        ensure_editor_tools
        ensure_precompress_tools
        ensure_test_tools
        ;;
    bench)
        ensure_rust_tools
        ensure_editor_tools
        ensure_precompress_tools
        ensure_test_tools
        ensure_bench_tools
        ;;
    *)
        die "usage: $0 [run|test|bench]"
        ;;
esac
step "bootstrap ($PART) done"
