#!/bin/sh
# trunk's post_build hook (Trunk.toml). trunk starts a stage's hooks all at once, and these two
# must run in order: the wasm is split first (scripts/split_wasm.py), then every file, the
# chunks included, gets its .br and .gz (scripts/precompress.sh).
set -eu
DIR="$(dirname "$0")"
python3 "$DIR/split_wasm.py"
sh "$DIR/precompress.sh"
