"""Where the module's code comes from, by source: each instruction's bytes counted
against the innermost line of ours it was inlined into, else the function of ours
it is in, else the innermost line it has (the crate or the standard library whose
function it is); then summed per module of ours, per crate and per feature.

The final module's function names say where code ended up, not where it came
from: wasm-opt inlines every function that has one caller, so the whole request
handler (router, dialects, page) sits in one `js_sys::future_to_promise` closure.
The DWARF line tables with their inlining records do say, so this reads a build
with them (`scripts/build --line-tables`), before wasm-opt (which takes off about a
tenth overall) and before scripts/stub-functions.py.

Usage: llvm-objdump -d -l -C --debug-inlined-funcs=limits-only MODULE | python3 benches/wasm_sources.py
"""

import collections
import re
import sys

INSTRUCTION = re.compile(r"^\s+[0-9a-f]+:((?: [0-9a-f]{2})+)")
FUNCTION = re.compile(r"^[0-9a-f]{8} <(.*)>:$")
# A function of ours, by its demangled name (`llvm-objdump -C`): its module path.
OURS = re.compile(r"^<?edge_otp\[[0-9a-f]+\]((?:::[a-z_][a-z0-9_]*)+)")
# `; FILE:LINE:COLUMN: [end of ]CALLEE inlined into CALLER`: where an inlined call
# starts or ends; FILE:LINE is the call site, in the caller.
INLINED = re.compile(r"^; (\S+?):(\d+):\d+: (end of )?(.*) inlined into ")
LINE = re.compile(r"^; (\S+):(\d+)$")

# The features a deployment could leave out, by the sources that only they use.
FEATURES = {
    "dialects (Huawei, CloudBase, CIAM)": ("src/surface/dialect", "src/policy/apig"),
    "providers (eleven, with their signatures)": ("src/delivery/provider",),
    "message locales (fourteen languages)": ("src/delivery/locale",),
    "login page (code; its HTML is data)": ("src/surface/page",),
    "Durable Object (strict mode, leases)": ("src/glue/durable",),
}


def source(path):
    """A path as the groups name it: `src/…` for ours, `crate` or `std:core/…`."""
    path = path.removeprefix("./")
    if path.startswith("src/"):
        return path
    library = re.search(r"/library/(\w+)/src/", path)
    if library:
        return f"std:{library.group(1)}"
    crate = re.search(r"/([A-Za-z0-9_-]+?)-\d+\.\d+\.\d+[^/]*/src/", path)
    return crate.group(1) if crate else "(no line)"


def module(path):
    """`src/policy/state.rs` → `policy`; dialects, providers and locales are
    groups of their own."""
    if not path.startswith("src/"):
        return path
    parts = path.removesuffix(".rs").split("/")
    if len(parts) > 2 and parts[2] in ("dialect", "provider", "locale"):
        return f"{parts[1]}/{parts[2]}"
    return parts[1]


def attribute(lines):
    """Bytes per source path (ours: `src/…:LINE`)."""
    sums = collections.Counter()
    inlined = []  # the open inlined calls: (call site, callee)
    here, function = "(no line)", None
    for line in lines:
        if line.startswith("; "):
            call = INLINED.match(line)
            if call:
                path, number, end, callee = call.groups()
                if end:
                    for i in range(len(inlined) - 1, -1, -1):
                        if inlined[i][1] == callee:
                            del inlined[i]
                            break
                else:
                    inlined.append((f"{source(path)}:{number}", callee))
                continue
            at = LINE.match(line)
            if at:
                here = f"{source(at.group(1))}:{at.group(2)}"
            continue
        start = FUNCTION.match(line)
        if start:
            inlined, here = [], "(no line)"
            # Code in a function of ours without a line of ours (drop glue, the
            # state machine's own moves, the standard library's helpers) is that
            # function's: its module's path.
            name = OURS.match(start.group(1))
            function = "src" + name.group(1).replace("::", "/") + " (function)" if name else None
            continue
        instruction = INSTRUCTION.match(line)
        if not instruction:
            continue
        frames = [site for site, _ in inlined] + [here]
        ours = [frame for frame in frames if frame.startswith("src/")]
        if ours:
            frame = ours[-1]
        elif function and not here.startswith(("src/", "std:", "(")):
            frame = here  # a crate's code (sha2, serde_json) stays the crate's
        else:
            frame = function or here
        sums[frame] += len(instruction.group(1).split())
    return sums


def table(title, sums, total, rows):
    print(f"{'bytes':>9}  {'share':>6}  {title}")
    for name, size in sums.most_common(rows):
        print(f"{size:9d}  {100 * size / total:5.1f}%  {name}")


def main():
    lines = attribute(sys.stdin)
    total = sum(lines.values())
    files = collections.Counter()
    for key, size in lines.items():
        files[key.rsplit(":", 1)[0]] += size
    groups = collections.Counter()
    for path, size in files.items():
        groups[module(path)] += size
    features = collections.Counter()
    for path, size in files.items():
        for feature, prefixes in FEATURES.items():
            if path.startswith(prefixes):
                features[feature] += size
    table(f"code by source (before wasm-opt, {total} bytes)", groups, total, 40)
    print()
    table("code only these features use", features, total, len(FEATURES))
    print()
    table("lines (or functions) of ours with the most code (a serde derive counts at the derive)",
          collections.Counter({k: v for k, v in lines.items() if k.startswith("src/")}), total, 15)


if __name__ == "__main__":
    main()
