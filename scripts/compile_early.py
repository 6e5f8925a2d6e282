#!/usr/bin/env python3
"""trunk's post_build hook (scripts/post_build.sh), after the split: rewrites the start script
trunk writes into index.html so that the wasm compiles while the JavaScript modules evaluate.

trunk's script imports the glue statically (`import init from '/…js'`), and a module's static
imports are evaluated before its first line: the cell editor's bundle (CodeMirror, about 60 ms
of evaluation on the main thread here) ran first, and only then did `init` start compiling the
wasm, which had arrived long before. The rewritten script starts the compile first and then
imports the glue with `import()`; wasm-bindgen's `init` takes the compiled module's promise.
If the server sends the wasm under another content type, `compileStreaming` refuses it without
reading the body and the bytes are compiled from a buffer instead, as wasm-bindgen's own loader
does (a wasm that fails to compile is an error either way).

The string literals stay `'/…'` paths, which the server puts under its base URL (server/src/
index_page.rs), and the server hashes the inline script for its CSP when it reads index.html.
Usage: run by trunk (TRUNK_STAGING_DIR), or `scripts/compile_early.py STAGING_DIR`.
"""

import os
import pathlib
import re
import sys

# trunk 0.21's start script for a `data-bindgen-target="web"` app, as it writes it.
TRUNK_START = re.compile(
    r"import init, \* as bindings from '(?P<js>/[^']+\.js)';\n"
    r"const wasm = await init\(\{ module_or_path: '(?P<wasm>/[^']+_bg\.wasm)' \}\);\n"
)

START = """const compiled = fetch('{wasm}').then(async (response) => {{
  try {{
    return await WebAssembly.compileStreaming(response);
  }} catch (error) {{
    if (response.headers.get('Content-Type') === 'application/wasm') throw error;
    return WebAssembly.compile(await response.arrayBuffer());
  }}
}});
const bindings = await import('{js}');
const wasm = await bindings.default({{ module_or_path: compiled }});
"""


def main():
    staging = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else os.environ.get("TRUNK_STAGING_DIR", ""))
    index = staging / "index.html"
    if not index.is_file():
        print(f"compile_early: no {index}", file=sys.stderr)
        sys.exit(1)
    html = index.read_text()
    found = TRUNK_START.search(html)
    if found is None:
        print("compile_early: index.html has no start script of trunk 0.21's shape", file=sys.stderr)
        sys.exit(1)
    start = START.format(js=found["js"], wasm=found["wasm"])
    index.write_text(html[: found.start()] + start + html[found.end() :])


if __name__ == "__main__":
    main()
