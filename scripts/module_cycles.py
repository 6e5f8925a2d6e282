#!/usr/bin/env python3
"""Fails when the modules of a crate import each other in a circle, or its top-level modules
(the crate's folders and the files beside them) do: then an import runs from a lower floor of
the crate back up to a higher one.

Each `.rs` file under a crate's `src/` is one module (`a/mod.rs` is module `a`, `lib.rs` and
`main.rs` the crate root). An edge runs from a module to every module it names by path:
`use crate::…`, `use super::…`, `self::…` and paths such as `crate::a::b::f()` in code. A path
resolves to the deepest module it names, so `crate::a::Thing` is an edge to `a` even when `a`
re-exports `Thing` from a child. Tests are left out (files named `tests.rs` / `*_tests.rs` and
everything after a file's first `#[cfg(test)]`), as are comments and string literals.

Usage: scripts/module_cycles.py CRATE_SRC_DIR...   (exit 1 and a list of the circles if any)
"""

import re
import sys
from pathlib import Path

IDENT = r"[A-Za-z_][A-Za-z0-9_]*"


def module_of(src: Path, file: Path) -> tuple:
    parts = list(file.relative_to(src).with_suffix("").parts)
    if parts[-1] == "mod":
        parts.pop()
    if parts in (["lib"], ["main"]):
        parts = []
    return tuple(parts)


def without_comments_and_strings(text: str) -> str:
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r'r(#*)".*?"\1', '""', text, flags=re.S)
    text = re.sub(r'"(\\.|[^"\\])*"', '""', text, flags=re.S)
    text = re.sub(r"'(\\.|[^'\\])'", "' '", text)
    return re.sub(r"//[^\n]*", "", text)


def before_tests(text: str) -> str:
    cut = text.find("#[cfg(test)]")
    return text if cut < 0 else text[:cut]


def expand_use_tree(tree: str) -> list:
    """`a::{b, c::{d, e}}` → ["a::b", "a::c::d", "a::c::e"]."""
    tree = re.sub(r"\s+", "", tree)
    brace = tree.find("{")
    if brace < 0:
        return [re.sub(r"as" + IDENT + "$", "", tree)]
    prefix, inner = tree[:brace], tree[brace + 1 : tree.rfind("}")]
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(inner):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(inner[start:i])
            start = i + 1
    parts.append(inner[start:])
    return [p for part in parts if part for p in expand_use_tree(prefix + part)]


def referenced_paths(code: str) -> list:
    paths = []
    for statement in re.findall(r"\buse\s+([^;]+);", code):
        paths.extend(expand_use_tree(statement))
    # At least one `::`: a bare `crate` or `super` is a visibility (`pub(crate)`), `self` a value.
    pattern = r"(?<![\w$])((?:crate|super|self)(?:::(?:super|" + IDENT + "))+)"
    paths.extend(re.findall(pattern, re.sub(r"\buse\s+[^;]+;", " ", code)))
    return paths


def resolve(path: str, here: tuple, modules: set):
    segments = [s for s in path.split("::") if s and s != "*"]
    if not segments:
        return None
    if segments[0] == "crate":
        base, rest = (), segments[1:]
    elif segments[0] in ("super", "self"):
        base = here
        while segments and segments[0] in ("super", "self"):
            if segments.pop(0) == "super":
                base = base[:-1]
        rest = segments
    else:
        return None
    target = base
    for segment in rest:
        if target + (segment,) in modules:
            target = target + (segment,)
        else:
            break
    return target


def circles(graph: dict) -> list:
    """Tarjan's strongly connected components with more than one module."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []
    counter = [0]

    def visit(node):
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def name(module: tuple) -> str:
    return "crate" if not module else "::".join(module)


def check(src: Path) -> list:
    files = [
        f
        for f in sorted(src.rglob("*.rs"))
        if f.name != "tests.rs" and not f.name.endswith("_tests.rs")
    ]
    modules = {module_of(src, f) for f in files}
    graph, why = {}, {}
    for file in files:
        here = module_of(src, file)
        code = without_comments_and_strings(before_tests(file.read_text()))
        for path in referenced_paths(code):
            target = resolve(path, here, modules)
            if target is None or target == here:
                continue
            graph.setdefault(here, set()).add(target)
            why.setdefault((here, target), path)
    problems = []
    for component in circles(graph):
        members = set(component)
        lines = [f"{src}: modules in a circle: {', '.join(name(m) for m in component)}"]
        for a in component:
            for b in sorted(graph.get(a, ()) & members):
                lines.append(f"    {name(a)} -> {name(b)}  ({why[(a, b)]})")
        problems.append("\n".join(lines))
    # The same one level up: each top-level module with everything below it. The crate root
    # (lib.rs, main.rs) stands above them all and is left out.
    tops, top_why = {}, {}
    for (a, b), path in why.items():
        if a and b and a[0] != b[0]:
            tops.setdefault(a[:1], set()).add(b[:1])
            top_why.setdefault((a[:1], b[:1]), f"{name(a)}: {path}")
    for component in circles(tops):
        members = set(component)
        lines = [
            f"{src}: top-level modules in a circle (an import runs back up): "
            + ", ".join(name(m) for m in component)
        ]
        for a in component:
            for b in sorted(tops.get(a, ()) & members):
                lines.append(f"    {name(a)} -> {name(b)}  ({top_why[(a, b)]})")
        problems.append("\n".join(lines))
    return problems


def main() -> int:
    if len(sys.argv) < 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    problems = [p for src in sys.argv[1:] for p in check(Path(src))]
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
