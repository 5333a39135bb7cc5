#!/usr/bin/env python3
"""Replaces with a trap the bodies of the functions that the function table holds
but that nothing can call, so that wasm-opt removes the code behind them.

The table holds every function whose address the linked code or data takes, and
wasm-opt cannot see into the data (vtables) to tell which of those addresses a
live path still reaches: scripts/reachable.py works it out from the linker's
relocations. What it finds: the panic hooks (which never run) with what only they
format with, and what only exports that strip-exports.py drops reach (the futures
of wasm-streams' adapters, a Rust stream handed to JS). A call would trap at once,
as a panic does.

usage: stub-functions.py LINKED IN OUT
LINKED is the linker's output with its relocations; IN is the same module with its
data laid out (scripts/data-layout.py: the same functions at the same indices).
"""

import os
import sys

from reachable import Reach
from wasm_module import function_bodies, function_names, imported_functions, rewrite, sections, uleb

VERBOSE = bool(os.environ.get("STUB_FUNCTIONS_VERBOSE"))
TRAP = bytes([0x00, 0x00, 0x0B])  # no locals; unreachable; end


def main(linked, source, target):
    module = open(linked, "rb").read()
    uncalled = Reach(module).uncalled
    names = function_names(module)
    data = open(source, "rb").read()
    assert function_names(data) == names, "IN has the functions of LINKED"
    imported = imported_functions(dict(sections(data))[2])

    def stub(code):
        functions = function_bodies(code)
        out = [uleb(len(functions))]
        for n, (entry, _, end) in enumerate(functions):
            if imported + n in uncalled:
                if VERBOSE:
                    print(f"stub-functions: {names.get(imported + n)}", file=sys.stderr)
                out.append(uleb(len(TRAP)) + TRAP)
            else:
                out.append(code[entry:end])
        return b"".join(out)

    open(target, "wb").write(rewrite(data, 10, stub))
    print(f"stub-functions: {len(uncalled)} functions only the table held made traps", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:4])
