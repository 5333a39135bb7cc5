#!/usr/bin/env python3
"""Replaces with a trap the bodies of functions that nothing can call but that the
module still holds, so that wasm-opt removes the code behind them.

They are held by the function table, through vtables in the data, which wasm-opt
cannot see into. Only functions in the table are made traps, and only these
(their names say which; a function they call goes with them, one called from
elsewhere stays):
- the `worker` crate's panic hook, with std's default hook inside it: the build's
  `-Cpanic=immediate-abort` traps at the panic and calls no hook;
- the futures of wasm-streams' adapters (a Rust stream handed to JS), made only
  by the methods whose exports strip-exports.py drops.
A call would trap at once, as a panic does.

usage: stub-functions.py IN OUT"""

import os
import re
import sys

from wasm_module import function_bodies, function_names, imported_functions, leb, rewrite, sections, uleb

HASH = r"(\[[0-9a-f]+\])?"
DEAD = re.compile(
    rf"^<std{HASH}::panicking::default_hook as "
    rf"|^<?worker{HASH}::init::init::\{{closure#0\}}( as |$)"
    rf"|wasm_streams{HASH}::(readable|writable)::into_underlying_(byte_source|source|sink)::IntoUnderlying"
)
VERBOSE = bool(os.environ.get("STUB_FUNCTIONS_VERBOSE"))
TRAP = bytes([0x00, 0x00, 0x0B])  # no locals; unreachable; end


def table_functions(body):
    """The function indices the element section puts in a table."""
    count, i = leb(body, 0)
    held = set()
    for _ in range(count):
        flags, i = leb(body, i)
        if flags not in (0, 2):
            raise SystemExit(f"stub-functions: element segment kind {flags} not read")
        if flags == 2:
            _, i = leb(body, i)  # table
        while body[i] != 0x0B:  # the offset expression (i32.const N)
            i += 1
        i += 1
        if flags == 2:
            i += 1  # element kind: functions
        n, i = leb(body, i)
        for _ in range(n):
            index, i = leb(body, i)
            held.add(index)
    return held


def main(source, target):
    data = open(source, "rb").read()
    names = function_names(data)
    bodies = dict(sections(data))
    imported = imported_functions(bodies[2])
    held = table_functions(bodies[9])
    stubbed = []

    def stub(code):
        functions = function_bodies(code)
        out = [uleb(len(functions))]
        for n, (entry, _, end) in enumerate(functions):
            name = names.get(imported + n, "")
            if imported + n in held and DEAD.search(name):
                stubbed.append(name)
                if VERBOSE:
                    print(f"stub-functions: {name}", file=sys.stderr)
                out.append(uleb(len(TRAP)) + TRAP)
            else:
                out.append(code[entry:end])
        return b"".join(out)

    open(target, "wb").write(rewrite(data, 10, stub))
    print(f"stub-functions: {len(stubbed)} functions only the table held made traps", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:3])
