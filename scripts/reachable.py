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

from wasm_module import custom, function_bodies, function_names, imported_functions, leb, sections

# Relocation types (the tool conventions' Linking.md) that reference a function (a
# call, `ref.func`, an address in code or in data) and that reference static data.
FUNCTION_REFERENCES = {0, 1, 2, 12, 18, 19, 24, 26}
MEMORY_REFERENCES = {3, 4, 5, 11, 14, 15, 16, 17, 21, 23, 25}
WITH_ADDEND = MEMORY_REFERENCES | {8, 9, 22}
# Symbol flags: not defined here, written with a name of its own, at an address
# the linker made up (__heap_base) rather than in a segment.
UNDEFINED, EXPLICIT_NAME, ABSOLUTE = 0x10, 0x40, 0x200
# wasm-bindgen's exports carry a hash of their crate until it renames them.
CRATE_HASH = re.compile(r"_[0-9a-f]{16}$")
# The hooks, by their names as rustc's v0 mangling spells them (`std::panicking::
# default_hook`, and the closure `worker::init::init` sets as the hook), with the
# shims and closures within them. A rule that matches nothing stops the build.
NEVER_RUN = {
    "std's default panic hook": re.compile(r"3std9panicking12default_hook"),
    "worker's panic hook": re.compile(r"6worker4init4init0"),
}


def symbols(linking):
    """Each symbol of the `linking` section: ("function", index), ("data",
    segment), or None (a global, a table, a section, an undefined datum)."""
    out = []
    version, i = leb(linking, 0)
    assert version == 2, f"linking section version {version}"
    while i < len(linking):
        kind = linking[i]
        size, i = leb(linking, i + 1)
        end = i + size
        if kind == 8:  # WASM_SYMBOL_TABLE
            count, i = leb(linking, i)
            for _ in range(count):
                sym_kind = linking[i]
                flags, i = leb(linking, i + 1)
                if sym_kind == 1:  # data: its name, then (defined) segment, offset, size
                    length, i = leb(linking, i)
                    i += length
                    segment = None
                    if not flags & UNDEFINED:
                        segment, i = leb(linking, i)
                        _, i = leb(linking, i)
                        _, i = leb(linking, i)
                    out.append(None if segment is None or flags & ABSOLUTE else ("data", segment))
                elif sym_kind == 3:  # section
                    _, i = leb(linking, i)
                    out.append(None)
                else:  # function, global, tag, table: its index, then its name if defined
                    index, i = leb(linking, i)
                    if not flags & UNDEFINED or flags & EXPLICIT_NAME:
                        length, i = leb(linking, i)
                        i += length
                    out.append(("function", index) if sym_kind == 0 else None)
        i = end
    return out


def relocations(body):
    """A `reloc.*` section: the index of the section it applies to, and its
    entries as (type, offset, symbol)."""
    section, i = leb(body, 0)
    count, i = leb(body, i)
    out = []
    for _ in range(count):
        kind = body[i]
        offset, i = leb(body, i + 1)
        symbol, i = leb(body, i)
        if kind in WITH_ADDEND:
            _, i = leb(body, i, signed=True)
        out.append((kind, offset, symbol))
    return section, out


def data_starts(body):
    """Where each data segment's bytes start in the data section's body."""
    count, i = leb(body, 0)
    starts = []
    for _ in range(count):
        flags, i = leb(body, i)
        assert flags == 0 and body[i] == 0x41, "an active segment at an i32.const"
        _, i = leb(body, i + 1, signed=True)
        assert body[i] == 0x0B
        length, i = leb(body, i + 1)
        starts.append(i)
        i += length
    return starts


def table_functions(body):
    """The function indices the element section puts in a table."""
    count, i = leb(body, 0)
    held = set()
    for _ in range(count):
        flags, i = leb(body, i)
        if flags not in (0, 2):
            raise SystemExit(f"reachable: element segment kind {flags} not read")
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
        symbol = symbols(named["linking"])
        imported = imported_functions(parts[index_of[2]][1])
        body_starts = [start for _, start, _ in function_bodies(parts[index_of[10]][1])]
        segment_starts = data_starts(parts[index_of[11]][1])
        self.code_section, self.data_section = index_of[10], index_of[11]
        self.body_starts, self.segment_starts, self.imported = body_starts, segment_starts, imported

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
            for kind, offset, sym in entries:
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
