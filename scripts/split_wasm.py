#!/usr/bin/env python3
"""Run by trunk's post_build hook (scripts/post_build.sh), first: splits the UI's wasm into the
part the first paint needs and the chunks loaded later, at the functions marked
`#[wasm_split]` (leptos's code splitting, re-exported as `leptos::wasm_split`:
frontend/src/app.rs, frontend/src/outputs/rich_text.rs; a chunk that does not come is
frontend/src/chunk.rs's business).

trunk 0.21 builds one wasm and has no step for splitting, so this hook redoes trunk's last
two steps on cargo's output:

1. `wasm-split-cli` (the `wasm_split_cli_support` crate that cargo-leptos uses, installed by
   scripts/bootstrap.sh) cuts cargo's wasm at the split points. It needs the linker's
   relocations: `.cargo/config.toml` links every wasm with `--emit-relocs`.
2. wasm-bindgen, the same version trunk used, with `--keep-lld-exports` (the chunks import the
   main module's memory, table and shared functions) into trunk's staging directory, under
   the names trunk chose. trunk's names hash cargo's wasm, which both outputs are made from,
   so they still change whenever the content does.
3. The chunks and the loader get names with their own content hash (`NAME-HASH.wasm`, which
   the server caches as immutable: server/src/ui/caching.rs), custom sections are dropped
   from release chunks, the `integrity` hashes that trunk wrote into index.html for the
   replaced files are written anew, and the loader is preloaded beside the main module.

A wasm without split points is left as trunk built it. Usage: run by trunk (it sets
TRUNK_STAGING_DIR, TRUNK_PROFILE, TRUNK_HTML_FILE), or
`scripts/split_wasm.py STAGING_DIR debug|release CARGO_WASM` by hand.
"""

import base64
import hashlib
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tempfile

from wasm_sizes import leb128

CRATE = "wirebook-frontend"
# cargo's wasm imports the chunk loaders from this module until wasm-split-cli links them.
PLACEHOLDER = b"__wasm_split_placeholder__"
LOADER = "__wasm_split.js"


def fail(message):
    print(f"split_wasm: {message}", file=sys.stderr)
    sys.exit(1)


def content_hash(data):
    return hashlib.sha256(data).hexdigest()[:16]


def sri(data):
    return "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()


def without_custom_sections(wasm):
    """The module without its custom sections (names, producers, target features): they are
    for tools, and a release chunk is for browsers."""
    out = bytearray(wasm[:8])
    pos = 8
    while pos < len(wasm):
        start = pos
        section_id = wasm[pos]
        size, pos = leb128(wasm, pos + 1)
        if section_id != 0:
            out += wasm[start : pos + size]
        pos += size
    return bytes(out)


def cargo_wasm(profile):
    """cargo's wasm for this profile: the input trunk gave wasm-bindgen."""
    metadata = subprocess.run(
        ["cargo", "metadata", "--format-version", "1", "--no-deps", "--offline"],
        check=True,
        capture_output=True,
        text=True,
    )
    target = pathlib.Path(json.loads(metadata.stdout)["target_directory"])
    html = pathlib.Path(os.environ.get("TRUNK_HTML_FILE", "index.html")).read_text()
    cargo_profile = "debug"
    if profile == "release":
        found = re.search(r'data-cargo-profile-release="([^"]+)"', html)
        cargo_profile = found.group(1) if found else "release"
    return target / "wasm32-unknown-unknown" / cargo_profile / f"{CRATE}.wasm"


def main():
    if len(sys.argv) == 4:
        staging, profile, raw = pathlib.Path(sys.argv[1]), sys.argv[2], pathlib.Path(sys.argv[3])
    else:
        staging = pathlib.Path(os.environ.get("TRUNK_STAGING_DIR", ""))
        profile = os.environ.get("TRUNK_PROFILE", "release")
        raw = cargo_wasm(profile)
    if not staging.is_dir():
        fail("no staging directory (run by trunk, or pass one)")
    if not raw.is_file():
        fail(f"{raw} is missing")
    built = sorted(staging.glob(f"{CRATE}-*_bg.wasm"))
    if len(built) != 1:
        fail(f"expected one {CRATE}-*_bg.wasm in {staging}, found {len(built)}")
    name = built[0].name.removesuffix("_bg.wasm")
    input_wasm = raw.read_bytes()
    if PLACEHOLDER not in input_wasm:
        return
    for tool in ("wasm-split-cli", "wasm-bindgen"):
        if shutil.which(tool) is None:
            fail(f"{tool} is not installed (scripts/bootstrap.sh installs it)")

    release = profile == "release"
    with tempfile.TemporaryDirectory() as scratch:
        scratch = pathlib.Path(scratch)
        subprocess.run(["wasm-split-cli", str(raw), str(scratch), "--out-name", name], check=True)
        bindgen = ["wasm-bindgen", "--target=web", "--keep-lld-exports", "--no-typescript"]
        bindgen += ["--remove-name-section", "--remove-producers-section"] if release else []
        bindgen += [f"--out-dir={scratch / 'bindgen'}", f"--out-name={name}"]
        subprocess.run(bindgen + [str(scratch / f"{name}.wasm")], check=True)

        loader = (scratch / LOADER).read_text()
        for chunk in sorted(scratch.glob("*.wasm")):
            if chunk.name == f"{name}.wasm":
                continue
            data = chunk.read_bytes()
            if release:
                data = without_custom_sections(data)
            # `split_rich_text` → `rich-text-HASH`: the server caches it forever.
            stem = chunk.stem.removeprefix("split_").rstrip("0123456789_").replace("_", "-")
            hashed = f"{stem}-{content_hash(data)}.wasm"
            if f'"./{chunk.name}"' not in loader and f"'./{chunk.name}'" not in loader:
                fail(f"{LOADER} does not name {chunk.name}")
            loader = loader.replace(f"./{chunk.name}", f"./{hashed}")
            (staging / hashed).write_bytes(data)
        loader_bytes = loader.encode()
        loader_name = f"wasm-split-{content_hash(loader_bytes)}.js"
        (staging / loader_name).write_bytes(loader_bytes)

        # Only the JS module's `import` moves to the hashed name: the wasm's own import module
        # (the import object's key) stays `./__wasm_split.js`.
        js = (scratch / "bindgen" / f"{name}.js").read_text()
        statement = f'from "./{LOADER}"'
        if statement not in js:
            fail(f"wasm-bindgen's {name}.js does not import {LOADER}")
        js = js.replace(statement, f'from "./{loader_name}"')
        replaced = {
            f"{name}.js": js.encode(),
            f"{name}_bg.wasm": (scratch / "bindgen" / f"{name}_bg.wasm").read_bytes(),
        }

    index = staging / "index.html"
    html = index.read_text()
    for file, data in replaced.items():
        old = (staging / file).read_bytes()
        (staging / file).write_bytes(data)
        html = html.replace(sri(old), sri(data))
    # The main module imports the loader: fetched beside it rather than after it.
    public_url = os.environ.get("TRUNK_PUBLIC_URL", "/")
    preload = (
        f'<link rel="modulepreload" href="{public_url}{loader_name}" crossorigin="anonymous" '
        f'integrity="{sri(loader_bytes)}">'
    )
    if "</head>" not in html:
        fail("index.html has no </head>")
    index.write_text(html.replace("</head>", preload + "</head>", 1))


if __name__ == "__main__":
    main()
