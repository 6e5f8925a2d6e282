#!/usr/bin/env python3
"""What takes the space in a wasm module: code bytes per function, named from the module's
`name` section, summed by crate or listed.

The wasm-release profile strips the name section, so build once without stripping and read
cargo's output:

    CARGO_PROFILE_WASM_RELEASE_STRIP=false trunk build --release --dist /tmp/sizes
    scripts/wasm_sizes.py $CARGO_TARGET_DIR/wasm32-unknown-unknown/wasm-release/wirebook-frontend.wasm
    scripts/wasm_sizes.py WASM --top 40            # the largest functions (WASM: that file)
    scripts/wasm_sizes.py WASM --generic 40        # summed over generic instances
    scripts/wasm_sizes.py WASM --grep 'serde' 20   # functions whose name matches a regex

A function's crate is the first path segment of its name, so a generic instantiated for the
app's types counts for the crate that defines it (tachys::…::build for a view, serde's
PhantomData seed for a derive): the report shows where code comes from, not who asked for it.
Sizes are of the module as rustc links it, before wasm-bindgen.
"""

import argparse
import collections
import re
import shutil
import signal
import subprocess
import sys


def leb128(data, pos):
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, pos


def skip_limits(data, pos):
    flags = data[pos]
    _, pos = leb128(data, pos + 1)
    if flags & 1:
        _, pos = leb128(data, pos)
    return pos


def functions(data):
    """(name, body size) of every defined function."""
    if data[:4] != b"\0asm":
        sys.exit("wasm_sizes: not a wasm module")
    pos = 8
    imported = 0
    bodies = []
    names = {}
    while pos < len(data):
        section = data[pos]
        size, pos = leb128(data, pos + 1)
        end = pos + size
        if section == 2:  # imports: defined functions are numbered after imported ones
            count, p = leb128(data, pos)
            for _ in range(count):
                for _field in range(2):  # module, name
                    length, p = leb128(data, p)
                    p += length
                kind = data[p]
                p += 1
                if kind == 0:
                    _, p = leb128(data, p)
                    imported += 1
                elif kind == 1:  # table: reftype, limits
                    p = skip_limits(data, p + 1)
                elif kind == 2:  # memory
                    p = skip_limits(data, p)
                elif kind == 3:  # global: valtype, mutability
                    p += 2
                else:
                    sys.exit(f"wasm_sizes: unknown import kind {kind}")
        elif section == 10:
            count, p = leb128(data, pos)
            for _ in range(count):
                length, p = leb128(data, p)
                bodies.append(length)
                p += length
        elif section == 0:
            length, p = leb128(data, pos)
            if data[p : p + length] == b"name":
                p += length
                while p < end:
                    sub = data[p]
                    sub_size, p = leb128(data, p + 1)
                    sub_end = p + sub_size
                    if sub == 1:  # function names
                        count, p = leb128(data, p)
                        for _ in range(count):
                            index, p = leb128(data, p)
                            length, p = leb128(data, p)
                            names[index] = data[p : p + length].decode("utf-8", "replace")
                            p += length
                    p = sub_end
        pos = end
    if not names:
        sys.exit("wasm_sizes: no name section (a stripped or wasm-opt'd module?)")
    named = [(names.get(imported + i, f"<function {imported + i}>"), n) for i, n in enumerate(bodies)]
    return list(zip(demangled([name for name, _ in named]), (n for _, n in named)))


def demangled(names):
    """Rust's symbol names readable (`_ZN…` legacy and `_R…` v0 mangling): wasm-ld leaves
    them mangled in the name section. Through binutils' c++filt, which knows both; without it
    the names stay as they are, and the crate report groups them less well."""
    if not shutil.which("c++filt"):
        print("wasm_sizes: c++filt (binutils) not found, names left mangled", file=sys.stderr)
        return names
    out = subprocess.run(
        ["c++filt"], input="\n".join(names), capture_output=True, text=True, check=True
    ).stdout.split("\n")
    # v0 names carry each crate's disambiguator (`core[c5930c85a12de822]`): dropped, so that
    # a crate groups as one.
    return [re.sub(r"\[[0-9a-f]+\]", "", name) for name in out[: len(names)]]


CRATE = re.compile(r"^[<&\s]*(?:mut\s+)?(?:impl\s+)?(?:dyn\s+)?(?:[A-Za-z_]\w*\s+as\s+)?([A-Za-z_]\w*)")


def crate_of(name):
    match = CRATE.match(name)
    return match.group(1) if match else name[:30]


def generic_key(name):
    return re.sub(r"::h[0-9a-f]{16}$", "", re.sub(r"<.*>", "<…>", name))


def main():
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # `| head` ends the report quietly
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wasm")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--top", type=int, metavar="N")
    mode.add_argument("--generic", type=int, metavar="N")
    mode.add_argument("--grep", nargs=2, metavar=("REGEX", "N"))
    args = parser.parse_args()

    with open(args.wasm, "rb") as f:
        funcs = functions(f.read())
    total = sum(size for _, size in funcs)
    print(f"{total} code bytes in {len(funcs)} functions")

    def rows(counter, counts, limit):
        for key, size in counter.most_common(limit):
            print(f"{size:9d} {100 * size / total:5.1f}% {counts[key]:5d}  {key[:160]}")

    if args.top:
        for name, size in sorted(funcs, key=lambda f: -f[1])[: args.top]:
            print(f"{size:9d} {100 * size / total:5.1f}%  {name[:160]}")
    elif args.grep:
        pattern, limit = re.compile(args.grep[0]), int(args.grep[1])
        hits = [(n, s) for n, s in funcs if pattern.search(n)]
        print(f"{sum(s for _, s in hits)} bytes in {len(hits)} matching functions")
        for name, size in sorted(hits, key=lambda f: -f[1])[:limit]:
            print(f"{size:9d}  {name[:160]}")
    else:
        sizes, counts = collections.Counter(), collections.Counter()
        key_of = generic_key if args.generic else crate_of
        for name, size in funcs:
            sizes[key_of(name)] += size
            counts[key_of(name)] += 1
        print(f"{'bytes':>9} {'share':>6} {'fns':>5}  {'generic' if args.generic else 'crate'}")
        rows(sizes, counts, args.generic or 40)


if __name__ == "__main__":
    main()
