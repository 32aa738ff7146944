#!/usr/bin/env python3
"""Fails when two source files of one crate import each other, directly or
through other files (an import circle), and prints the circle.

Every crate of the workspace is checked on its own: each library under
crates/*/src/lib.rs and the binary, src/main.rs. Each file of a crate is a
module; an edge A -> B means A names an item of B through `crate::`,
`super::` or `self::` paths (in `use` trees or inline). A path that stops
at a directory module (`mod.rs`) is followed through that module's
`pub use child::Item` re-exports to the file defining the item; a module
declaring or re-exporting its children is not an edge. Unit-test modules
(`#[cfg(test)] mod tests`) are left out: they are not part of the build
that ships. A crate names another by its crate name (`mitmwatch_core::`),
which cannot close a circle inside one crate, and Cargo refuses circles
between crates.

Usage: .ci/import_cycles.py [WORKSPACE_DIR]   (default: .)
"""
import glob
import os
import re
import sys

WORKSPACE = sys.argv[1] if len(sys.argv) > 1 else "."


def module_files(root_file):
    """Maps module path tuples to files, following `mod x;` declarations."""
    files = {}

    def visit(path_tuple, file, directory):
        files[path_tuple] = file
        text = strip_tests(read(file))
        # `#[cfg(test)] mod tests;` (and cfg(any(.., test))) declare unit
        # tests kept in files of their own: left out too.
        text = re.sub(r"#\[cfg\([^\]]*\btest\b[^\]]*\)\]\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+\w+\s*;", "", text)
        for name in re.findall(r"^\s*(?:pub(?:\([^)]*\))?\s+)?mod\s+(\w+)\s*;", text, re.M):
            for candidate, sub_dir in (
                (os.path.join(directory, name + ".rs"), os.path.join(directory, name)),
                (os.path.join(directory, name, "mod.rs"), os.path.join(directory, name)),
            ):
                if os.path.exists(candidate):
                    visit(path_tuple + (name,), candidate, sub_dir)
                    break

    visit((), root_file, os.path.dirname(root_file))
    return files


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


def strip_tests(text):
    """Drops `#[cfg(test)] mod NAME { ... }` blocks (brace-matched)."""
    out, at = [], 0
    for m in re.finditer(r"#\[cfg\(test\)\]\s*(?:pub\s+)?mod\s+\w+\s*\{", text):
        if m.start() < at:
            continue
        out.append(text[at : m.start()])
        depth, i = 1, m.end()
        while i < len(text) and depth:
            depth += {"{": 1, "}": -1}.get(text[i], 0)
            i += 1
        at = i
    out.append(text[at:])
    return "".join(out)


def use_paths(tree, prefix=()):
    """Expands a `use` tree (`a::{b, c::{d, e}}`) into segment lists."""
    tree = tree.strip()
    if not tree:
        return []
    depth, split, parts = 0, 0, []
    for i, ch in enumerate(tree):
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(tree[split:i])
            split = i + 1
    parts.append(tree[split:])
    if len(parts) > 1:
        return [p for part in parts for p in use_paths(part, prefix)]
    m = re.match(r"^([\w:]*?)::\{(.*)\}$", tree, re.S)
    if m:
        head = tuple(s for s in m.group(1).split("::") if s)
        return use_paths(m.group(2), prefix + head)
    tree = re.sub(r"\s+as\s+\w+$", "", tree)
    return [prefix + tuple(s for s in tree.split("::") if s)]


def referenced_paths(text):
    text = strip_comments(strip_tests(text))
    paths = []
    for tree in re.findall(r"\buse\s+([^;]+);", text):
        paths += use_paths(tree)
    paths += [tuple(p.split("::")) for p in re.findall(r"\b(?:crate|super|self)(?:::\w+)+", text)]
    return paths


def reexports(text):
    """`pub use child::{A, B}` / `pub use child::*` in a module: item -> child."""
    found = {}
    for tree in re.findall(r"\bpub(?:\([^)]*\))?\s+use\s+([^;]+);", strip_comments(strip_tests(text))):
        for p in use_paths(tree):
            if p and p[0] not in ("crate", "super", "self") and len(p) >= 2:
                found[p[-1]] = p[0]
            elif p and p[0] == "self" and len(p) >= 3:
                found[p[-1]] = p[1]
    return found


def resolve(files, exports, current, path):
    if not path or path[0] not in ("crate", "super", "self"):
        return None
    mod = list(current)
    rest = list(path)
    while rest and rest[0] in ("crate", "super", "self"):
        head = rest.pop(0)
        if head == "crate":
            mod = []
        elif head == "super":
            mod = mod[:-1]
    while rest and tuple(mod + [rest[0]]) in files:
        mod.append(rest.pop(0))
    # Follow re-exports of directory modules down to the defining child.
    seen = 0
    while rest and seen < 8:
        seen += 1
        named = exports.get(tuple(mod), {})
        child = named.get(rest[0])
        if child is None:
            # A glob re-export: the child module that defines the item.
            child = next(
                (g for g in named.get("*", []) if defines(files[tuple(mod + [g])], rest[0])),
                None,
            )
        if child is None or tuple(mod + [child]) not in files:
            break
        mod.append(child)
    return tuple(mod)


def defines(file, item):
    """Whether `file` defines `item` (a struct, enum, fn, const, trait...)."""
    pattern = (
        r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:struct|enum|fn|const|static|trait|type|mod|union)\s+"
        + re.escape(item)
        + r"\b"
    )
    return re.search(pattern, strip_tests(read(file)), re.M) is not None


def graph(root_file):
    files = module_files(root_file)
    exports = {}
    for mod, file in files.items():
        found = reexports(read(file))
        found.pop("*", None)
        globs = re.findall(r"\bpub(?:\([^)]*\))?\s+use\s+(\w+)::\*\s*;", strip_tests(read(file)))
        found["*"] = [g for g in globs if tuple(mod) + (g,) in files]
        exports[mod] = found
    edges = {mod: set() for mod in files}
    for mod, file in files.items():
        for path in referenced_paths(read(file)):
            target = resolve(files, exports, mod, path)
            if target is None or target == mod:
                continue
            # A module's own descendants (declared and re-exported) and its
            # ancestors' declarations are structure, not dependencies.
            if target[: len(mod)] == mod:
                continue
            edges[mod].add(target)
    return files, edges


def cycles(edges):
    """Strongly connected components with more than one module (Tarjan)."""
    index, low, stack, on, out, counter = {}, {}, [], set(), [], [0]

    def strong(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in edges.get(v, ()):
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(comp)

    sys.setrecursionlimit(10000)
    for v in list(edges):
        if v not in index:
            strong(v)
    return out


def crate_roots():
    """The root file of every crate: the libraries, then the binary."""
    libs = sorted(glob.glob(os.path.join(WORKSPACE, "crates", "*", "src", "lib.rs")))
    bins = [os.path.join(WORKSPACE, "src", name) for name in ("lib.rs", "main.rs")]
    return libs + [b for b in bins if os.path.exists(b)]


def main():
    failed = False
    roots = crate_roots()
    if not any(r.endswith("lib.rs") for r in roots) or not any(r.endswith("main.rs") for r in roots):
        print(f"no crates found under {WORKSPACE} (crates/*/src/lib.rs and src/main.rs)")
        sys.exit(1)
    for root_file in roots:
        files, edges = graph(root_file)
        found = cycles(edges)
        n_edges = sum(len(e) for e in edges.values())
        print(f"{os.path.relpath(root_file, WORKSPACE)}: {len(files)} files, {n_edges} imports between them, {len(found)} circles")
        for comp in found:
            failed = True
            members = set(comp)
            print("  circle:")
            for m in sorted(comp):
                inside = sorted(files[t] for t in edges[m] if t in members)
                print(f"    {files[m]} -> {', '.join(inside)}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
