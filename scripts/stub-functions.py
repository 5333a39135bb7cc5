#!/usr/bin/env python3
"""Replaces with a trap the bodies of the functions that the function table holds
but that nothing can call, so that wasm-opt removes the code behind them.

The table holds every function whose address the linked code or data takes, and
wasm-opt cannot see into the data (vtables) to tell which of those addresses a
live path still reaches. scripts/reachable.py works it out from the linker's
relocations, with one rule: the panic hooks never run. The build's
`-Cpanic=immediate-abort` traps at the panic and calls no hook, so the `worker`
crate's hook and std's default one (with what only they format with: the
backtrace and location printers, std's writers into a buffer) are never called.
What is found this way: those, and what only exports dropped by strip-exports.py
reach (the futures of wasm-streams' adapters, a Rust stream handed to JS).
A call would trap at once, as a panic does.

usage: stub-functions.py LINKED IN OUT
LINKED is the linker's output with its relocations; IN is the same module with its
data laid out (scripts/data-layout.py: the same functions at the same indices).
"""

import importlib.util
import os
import pathlib
import re
import sys

from reachable import unreachable
from wasm_module import function_bodies, function_names, imported_functions, rewrite, sections, uleb

# The hooks, by their names as rustc's v0 mangling spells them (`std::panicking::
# default_hook`, and the closure `worker::init::init` sets as the hook), with the
# shims and closures within them. A rule that matches nothing stops the build.
NEVER_RUN = {
    "std's default panic hook": re.compile(r"3std9panicking12default_hook"),
    "worker's panic hook": re.compile(r"6worker4init4init0"),
}
VERBOSE = bool(os.environ.get("STUB_FUNCTIONS_VERBOSE"))
TRAP = bytes([0x00, 0x00, 0x0B])  # no locals; unreachable; end


def never_runs(name):
    return any(pattern.search(name) for pattern in NEVER_RUN.values())


def dropped_export():
    """strip-exports.py's rule for the exports it drops."""
    path = pathlib.Path(__file__).with_name("strip-exports.py")
    spec = importlib.util.spec_from_file_location("strip_exports", path)
    strip_exports = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(strip_exports)
    return lambda name: bool(strip_exports.UNUSED.search(name))


def main(linked, source, target):
    module = open(linked, "rb").read()
    names = function_names(module)
    for rule, pattern in NEVER_RUN.items():
        if not any(pattern.search(name) for name in names.values()):
            raise SystemExit(f"stub-functions: no function is {rule} (has the mangling changed?)")
    dead = unreachable(module, never_runs, dropped_export())

    data = open(source, "rb").read()
    assert function_names(data) == names, "IN has the functions of LINKED"
    imported = imported_functions(dict(sections(data))[2])

    def stub(code):
        functions = function_bodies(code)
        out = [uleb(len(functions))]
        for n, (entry, _, end) in enumerate(functions):
            if imported + n in dead:
                if VERBOSE:
                    print(f"stub-functions: {names.get(imported + n)}", file=sys.stderr)
                out.append(uleb(len(TRAP)) + TRAP)
            else:
                out.append(code[entry:end])
        return b"".join(out)

    open(target, "wb").write(rewrite(data, 10, stub))
    print(f"stub-functions: {len(dead)} functions only the table held made traps", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:4])
