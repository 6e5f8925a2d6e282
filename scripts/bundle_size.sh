#!/usr/bin/env bash
# Reports what a browser downloads to open wirebook: each asset of a trunk dist/ directory raw,
# gzip -9 and brotli -q 11, and the totals as transferred (brotli, which every browser that runs
# the wasm accepts). The cell editor's bundle (CodeMirror, frontend/editor) is totalled apart
# from the app's own wasm + js + css, since issue #16 budgets the two separately. The wasm chunks
# that scripts/split_wasm.py cuts out (the inspector, the dialogs, …) are totalled apart as well:
# the page fetches them after its first paint, so the app's total is what opening it waits for.
#
#   scripts/bundle_size.sh [DIST]     # DIST defaults to dist/ (what `make ui` builds)
#
# Precompressed copies (*.gz, *.br) beside the assets are skipped (they are what is measured), and
# so is trunk's staging directory (.stage, while a build runs).
# Needs gzip and Debian's brotli (scripts/bootstrap.sh test installs it).
set -euo pipefail

DIST="${1:-dist}"
[ -d "$DIST" ] || { echo "bundle_size: no directory $DIST (run \`make ui\` first)" >&2; exit 1; }
command -v brotli >/dev/null 2>&1 \
    || { echo "bundle_size: brotli not found (scripts/bootstrap.sh test installs it)" >&2; exit 1; }

declare -A raw_total=() gz_total=() br_total=()
for group in app later editor page; do raw_total[$group]=0; gz_total[$group]=0; br_total[$group]=0; done

printf '%-72s %10s %10s %10s\n' asset raw gzip-9 brotli-11
while IFS= read -r -d '' file; do
    rel="${file#"$DIST"/}"
    raw=$(stat -c %s "$file")
    gz=$(gzip -9 -c "$file" | wc -c)
    br=$(brotli -q 11 -c "$file" | wc -c)
    case "$rel" in
        */cell_editor.js) group=editor ;;
        *_bg.wasm | *.js | *.css) group=app ;;
        *.wasm) group=later ;;
        *) group=page ;;
    esac
    raw_total[$group]=$((raw_total[$group] + raw))
    gz_total[$group]=$((gz_total[$group] + gz))
    br_total[$group]=$((br_total[$group] + br))
    printf '%-72s %10d %10d %10d\n' "$rel" "$raw" "$gz" "$br"
done < <(find "$DIST" -mindepth 1 -name '.*' -prune -o -type f ! -name '*.gz' ! -name '*.br' -print0 \
    | sort -z)

total() {
    local label=$1; shift
    local raw=0 gz=0 br=0 group
    for group in "$@"; do
        raw=$((raw + raw_total[$group])); gz=$((gz + gz_total[$group])); br=$((br + br_total[$group]))
    done
    printf '%-72s %10d %10d %10d\n' "$label" "$raw" "$gz" "$br"
}
echo
total "app: wasm + js + css (target: brotli <= 400 KB)" app
total "wasm chunks fetched after the first paint" later
total "app + chunks: all of the UI's own code" app later
total "cell editor bundle" editor
total "app + editor (target: brotli <= 550 KB)" app editor
total "app + chunks + editor" app later editor
total "everything, with index.html" app later editor page
