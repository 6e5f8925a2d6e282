#!/bin/sh
# Run by trunk's post_build hook (scripts/post_build.sh), after the wasm is split: writes a
# brotli (-q 11) and a gzip (-9) copy beside every built wasm, js and css file in trunk's staging
# directory, so the server can send them to browsers that accept them (server/src/ui) without
# compressing on every request. index.html is left alone: the server rewrites it once, when it
# starts (server/src/index_page.rs). Needs Debian's brotli (scripts/bootstrap.sh installs it)
# and gzip.
set -eu

DIR="${TRUNK_STAGING_DIR:-${1:-}}"
[ -n "$DIR" ] && [ -d "$DIR" ] || {
    echo "precompress: no directory (run by trunk, or pass one)" >&2
    exit 1
}
command -v brotli >/dev/null 2>&1 || {
    echo "precompress: brotli is not installed (scripts/bootstrap.sh installs it)" >&2
    exit 1
}

# Release builds get brotli's best (-q 11); a debug build (make e2e: a 23 MB wasm, where -q 11
# takes over a minute on 2 cores) gets -q 5 (about 2 s): the same files and negotiation.
QUALITY=11
[ "${TRUNK_PROFILE:-release}" = debug ] && QUALITY=5

find "$DIR" -type f \( -name '*.wasm' -o -name '*.js' -o -name '*.css' \) | while read -r file; do
    brotli -q "$QUALITY" -f -o "$file.br" "$file"
    gzip -9 -n -c "$file" >"$file.gz"
done
