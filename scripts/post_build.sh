#!/bin/sh
# trunk's post_build hook (Trunk.toml). trunk starts a stage's hooks all at once, and these
# must run in order: the wasm is split first (scripts/split_wasm.py), the start script in
# index.html compiles the wasm early (scripts/compile_early.py), then every file, the chunks
# included, gets its .br and .gz (scripts/precompress.sh).
set -eu
DIR="$(dirname "$0")"
python3 "$DIR/split_wasm.py"
python3 "$DIR/compile_early.py"
sh "$DIR/precompress.sh"
