"""What of the linked module can run: which functions the function table holds
that nothing can call (stub-functions.py makes them traps), and which pieces of
static data nothing live addresses (data-layout.py leaves them out).

The linker's output keeps its relocations (`--emit-relocs`), which say where every
reference is: a call, a function's address (in code, or in data: a vtable's
entry), an address of static data (in code or in data). From the roots (the
exports that stay), a live function makes live what it calls, the functions whose
addresses it takes and the data it addresses; live data makes live the functions
and the data whose addresses it holds. The code calls through the table only at
an address it took, so a function in the table that this never reaches is never
called, and data it never reaches is never read.

One rule adds to what the relocations say: the panic hooks never run. The build's
`-Cpanic=immediate-abort` traps at the panic and calls no hook, so the `worker`
crate's hook and std's default one are reached (the code sets them) but not
walked: what only they reference (std's backtrace and location printers, its
writers into a buffer, its I/O error texts) is unreachable too.
"""

import bisect
import importlib.util
import pathlib
import re

from wasm_module import (ABSOLUTE, custom, data_segments, function_bodies, function_names,
                         imported_functions, leb, linking, relocations, sections, table_functions)

# Relocation types (the tool conventions' Linking.md) that reference a function (a
# call, `ref.func`, an address in code or in data) and that reference static data.
FUNCTION_REFERENCES = {0, 1, 2, 12, 18, 19, 24, 26}
MEMORY_REFERENCES = {3, 4, 5, 11, 14, 15, 16, 17, 21, 23, 25}
# wasm-bindgen's exports carry a hash of their crate until it renames them.
CRATE_HASH = re.compile(r"_[0-9a-f]{16}$")
# The hooks, by their names as rustc's v0 mangling spells them (`std::panicking::
# default_hook`, and the closure `worker::init::init` sets as the hook), with the
# shims and closures within them. A rule that matches nothing stops the build.
NEVER_RUN = {
    "std's default panic hook": re.compile(r"3std9panicking12default_hook"),
    "worker's panic hook": re.compile(r"6worker4init4init0"),
}


def referents(symbols):
    """What each symbol of the `linking` section names: ("function", index),
    ("data", segment), or None (a global, a table, a section, an undefined datum
    or an address the linker made up)."""
    out = []
    for kind, flags, index, _ in symbols:
        if kind == 0:
            out.append(("function", index))
        elif kind == 1 and index is not None and not flags & ABSOLUTE:
            out.append(("data", index))
        else:
            out.append(None)
    return out


def exported_functions(body):
    """(name, index) of each function the export section exports."""
    count, i = leb(body, 0)
    out = []
    for _ in range(count):
        length, i = leb(body, i)
        name = body[i:i + length].decode()
        kind = body[i + length]
        index, i = leb(body, i + length + 1)
        if kind == 0:
            out.append((name, index))
    return out


def never_runs(name):
    return any(pattern.search(name) for pattern in NEVER_RUN.values())


def dropped_export():
    """strip-exports.py's rule for the exports it drops (they are not roots)."""
    path = pathlib.Path(__file__).with_name("strip-exports.py")
    spec = importlib.util.spec_from_file_location("strip_exports", path)
    strip_exports = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(strip_exports)
    return lambda name: bool(strip_exports.UNUSED.search(name))


class Reach:
    """The analysis of a linked module (with its relocations): `uncalled`, the
    indices of the functions the table holds that are never called (those nothing
    live reaches, and the hooks); `live_data`, the data segments something live
    addresses; `runs(function)`, whether a function's code can run (it is live and
    not a hook)."""

    def __init__(self, module):
        parts = list(sections(module))
        index_of = {}
        for n, (kind, _) in enumerate(parts):
            index_of.setdefault(kind, n)
        named = {custom(body)[0]: custom(body)[1] for kind, body in parts if kind == 0}
        names = function_names(module)
        for rule, pattern in NEVER_RUN.items():
            if not any(pattern.search(name) for name in names.values()):
                raise SystemExit(f"reachable: no function is {rule} (has the mangling changed?)")
        symbol = referents(linking(named["linking"])[1])
        imported = imported_functions(parts[index_of[2]][1])
        body_starts = [start for _, start, _ in function_bodies(parts[index_of[10]][1])]
        segment_starts = [start for _, start, _ in data_segments(parts[index_of[11]][1])]
        self.body_starts, self.imported = body_starts, imported

        # What each function's code and each data segment references.
        from_code = [set() for _ in body_starts]
        from_data = [set() for _ in segment_starts]
        for name, body in named.items():
            if not name.startswith("reloc."):
                continue
            target, entries = relocations(body)
            if target == index_of[10]:
                starts, holders = body_starts, from_code
            elif target == index_of[11]:
                starts, holders = segment_starts, from_data
            else:
                continue  # the debugging sections' (none in a release build)
            for kind, offset, sym, _ in entries:
                if (kind in FUNCTION_REFERENCES or kind in MEMORY_REFERENCES) and symbol[sym]:
                    holders[bisect.bisect_right(starts, offset) - 1].add(symbol[sym])

        held = table_functions(parts[index_of[9]][1])
        silent = {f for f in range(imported, imported + len(body_starts)) if never_runs(names.get(f, ""))}
        dropped = dropped_export()
        live, live_data = set(), set()
        work = [("function", index) for name, index in exported_functions(parts[index_of[7]][1])
                if not dropped(CRATE_HASH.sub("", name))]
        while work:
            kind, index = work.pop()
            if kind == "data":
                if index not in live_data:
                    live_data.add(index)
                    work.extend(from_data[index])
            elif index not in live and index >= imported:
                live.add(index)
                if index not in silent:
                    work.extend(from_code[index - imported])
        self.live, self.silent, self.live_data = live, silent, live_data
        self.uncalled = {f for f in held if f not in live or f in silent}

    def function_at(self, offset):
        """The index of the function whose code holds `offset` (of the code section's body)."""
        return self.imported + bisect.bisect_right(self.body_starts, offset) - 1

    def runs(self, function):
        return function in self.live and function not in self.silent
