"""What each function alone keeps in the final module: its own code and that of
every function reachable only through it (its dominator subtree in the call graph,
as `twiggy dominators` counts it), largest first. A function whose share is much
larger than its own size keeps library code that nothing else needs: where a
change to one call can take kilobytes out (serde_json's float parser behind a
visitor method, js-sys's iterator protocol behind one header loop).

The graph's roots are the exports and the function table (which vtables and JS
reach); its edges are direct calls and `ref.func`s, read from binaryen's text form
of the module (wasm-dis, installed with wasm-opt). Sizes are the functions' bytes
in target/index_bg.named.wasm, as benches/wasm_breakdown.py counts them.

Usage: python3 benches/wasm_dominators.py target/index_bg.named.wasm [NAME-PART] [ROWS]
(rows whose share exceeds their own size by 300 bytes or more; NAME-PART keeps the
functions whose name contains it)
"""

import collections
import pathlib
import re
import subprocess
import sys

from wasm_breakdown import functions

ROOT = object()
NAME = r'\$(?:"([^"]*)"|([^\s()"]+))'


def graph(module_path):
    """Function name → the names it calls or takes a reference to; and the roots."""
    wat = subprocess.run(
        [str(pathlib.Path(__file__).resolve().parent.parent / "node_modules/.bin/wasm-dis"),
         module_path], capture_output=True, text=True, check=True).stdout
    calls = {}
    for part in wat.split("\n (func ")[1:]:
        head = re.match(NAME, part)
        name = head.group(1) or head.group(2)
        calls[name] = {a or b for a, b in re.findall(r"\((?:call|return_call|ref\.func) " + NAME, part)}
    roots = set()
    for line in wat.splitlines():
        if line.startswith((" (export ", " (elem ")):
            roots |= {a or b for a, b in re.findall(NAME, line)}
    return calls, roots & set(calls)


def dominator_shares(calls, roots, sizes):
    """Each reachable function's share (Cooper, Harvey and Kennedy's iteration)."""
    succ = {ROOT: roots, **calls}
    order, seen, stack = [], {ROOT}, [(ROOT, iter(succ[ROOT]))]
    while stack:  # post-order, iteratively (the graph is deep)
        node, children = stack[-1]
        for child in children:
            if child in succ and child not in seen:
                seen.add(child)
                stack.append((child, iter(succ[child])))
                break
        else:
            order.append(node)
            stack.pop()
    rpo = order[::-1]
    index = {node: i for i, node in enumerate(rpo)}
    preds = collections.defaultdict(set)
    for node in rpo:
        for child in succ[node]:
            if child in index:
                preds[child].add(node)
    idom = {ROOT: ROOT}

    def meet(a, b):
        while a != b:
            while index[a] > index[b]:
                a = idom[a]
            while index[b] > index[a]:
                b = idom[b]
        return a

    changed = True
    while changed:
        changed = False
        for node in rpo[1:]:
            done = [p for p in preds[node] if p in idom]
            new = done[0]
            for p in done[1:]:
                new = meet(p, new)
            if idom.get(node) != new:
                idom[node] = new
                changed = True
    share = collections.Counter()
    for node in order:  # children before their dominators
        share[node] += sizes.get(node, 0)
        if node is not ROOT:
            share[idom[node]] += share[node]
    return share


def main():
    path = sys.argv[1]
    part = sys.argv[2] if len(sys.argv) > 2 else ""
    rows = int(sys.argv[3]) if len(sys.argv) > 3 else 40
    sizes = {name: size for size, name in functions(pathlib.Path(path).read_bytes())}
    calls, roots = graph(path)
    share = dominator_shares(calls, roots, sizes)
    plain = lambda name: re.sub(r"\[[0-9a-f]+\]", "", name)  # noqa: E731 (crate hashes)
    listed = sorted(((s, sizes.get(n, 0), plain(n)) for n, s in share.items()
                     if n is not ROOT and part in plain(n) and s - sizes.get(n, 0) >= 300),
                    reverse=True)
    print(f"{'keeps':>9}  {'own':>6}  function (what it alone keeps in the module: itself and "
          "what only it reaches)")
    for kept, own, name in listed[:rows]:
        print(f"{kept:9d}  {own:6d}  {name[:150]}")


if __name__ == "__main__":
    main()
