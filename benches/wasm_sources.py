"""Where the module's code comes from, by source: each byte of a function counted
against the innermost line of ours that put it there (the line itself, else the
innermost call of ours it was inlined at, else the function of ours it is in), or
else against the crate or the standard library whose line it is; then summed per
module of ours, per crate and per feature.

The final module's function names say where code ended up, not where it came
from: LLVM inlines most of an `async` call chain into its caller's future, and
wasm-opt the small functions that have one caller, so the router and the dialects
sit in a few large closures.
DWARF says where it came from: `scripts/build --line-tables` builds the same code
with line tables and inlining records, through wasm-bindgen (which keeps them and
moves them with the code), and this reads them with pyelftools. That is before
wasm-opt, which takes off about a tenth overall, and before stub-functions.py.
(llvm-objdump's `-l` reads a wasm module's line tables at the wrong offsets.)

Usage: python3 benches/wasm_sources.py target/line-tables/bindgen/index_bg.wasm
"""

import bisect
import collections
import io
import pathlib
import re
import sys

from elftools.dwarf.dwarfinfo import DebugSectionDescriptor, DWARFInfo, DwarfConfig

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "scripts"))
from wasm_module import custom, function_bodies, sections  # noqa: E402

# The features a deployment could leave out, by the sources that only they use.
FEATURES = {
    "dialects (Huawei, CloudBase, CIAM)": ("src/surface/dialect/", "src/policy/apig.rs"),
    "providers (eleven, with their signatures)": ("src/delivery/provider/",),
    "message locales (fourteen languages)": ("src/delivery/locale/",),
    "login page (code; its HTML is data)": ("src/surface/page.rs",),
    "Durable Object (strict mode, leases)": ("src/glue/durable.rs",),
}
DEBUG_SECTIONS = (
    ".debug_info", ".debug_aranges", ".debug_abbrev", ".debug_frame", None, ".debug_str",
    ".debug_loc", ".debug_ranges", ".debug_line", ".debug_pubtypes", ".debug_pubnames",
    ".debug_addr", ".debug_str_offsets", ".debug_line_str", ".debug_loclists",
    ".debug_rnglists", None, None, None,
)


def source(path):
    """A path as the groups name it: `src/…` for ours, a crate, or `std:core`."""
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


def file_names(lineprogram, compilation_dir):
    """The line program's file table as paths (DWARF 4: file and directory 1 are
    the first; directory 0 and relative ones are the compilation directory's)."""
    dirs = [compilation_dir] + [
        d if d.startswith(b"/") else compilation_dir + b"/" + d for d in lineprogram["include_directory"]
    ]
    out = [None]
    for entry in lineprogram["file_entry"]:
        directory = dirs[entry.dir_index] if entry.dir_index < len(dirs) else compilation_dir
        path = entry.name if entry.name.startswith(b"/") else directory + b"/" + entry.name
        out.append(path.decode(errors="replace"))
    return out


def die_ranges(dwarf, cu, die):
    attributes = die.attributes
    if "DW_AT_low_pc" in attributes and "DW_AT_high_pc" in attributes:
        low = attributes["DW_AT_low_pc"].value
        high = attributes["DW_AT_high_pc"]
        return [(low, low + high.value if high.form != "DW_FORM_addr" else high.value)]
    if "DW_AT_ranges" in attributes:
        ranges = dwarf.range_lists().get_range_list_at_offset(attributes["DW_AT_ranges"].value, cu=cu)
        return [(r.begin_offset, r.end_offset) for r in ranges if hasattr(r, "begin_offset")]
    return []


def read_dwarf(module_bytes):
    """Line rows [(address, path)] and scopes [(low, high, depth, place)]: a
    function's own code (place: its declaring file) and each inlined call (place:
    the call's `path:line`)."""
    debug = dict(custom(body) for kind, body in sections(module_bytes) if kind == 0)

    def descriptor(name):
        body = debug.get(name) if name else None
        return DebugSectionDescriptor(io.BytesIO(body), name, 0, len(body), 0) if body else None

    dwarf = DWARFInfo(DwarfConfig(True, "wasm", 4), *map(descriptor, DEBUG_SECTIONS))
    rows, scopes = [], []
    for cu in dwarf.iter_CUs():
        lineprogram = dwarf.line_program_for_CU(cu)
        if lineprogram is None:
            continue
        top = cu.get_top_DIE()
        compilation_dir = top.attributes["DW_AT_comp_dir"].value if "DW_AT_comp_dir" in top.attributes else b"."
        files = file_names(lineprogram, compilation_dir)
        for entry in lineprogram.get_entries():
            state = entry.state
            if state is not None:
                path = files[state.file] if state.file < len(files) and state.line else None
                rows.append((state.address, f"{source(path)}:{state.line}" if path else "(no line)"))

        def walk(die, depth):
            for child in die.iter_children():
                place = None
                if child.tag == "DW_TAG_inlined_subroutine":
                    call = child.attributes
                    if "DW_AT_call_file" in call:
                        path = source(files[call["DW_AT_call_file"].value])
                        place = f"{path}:{call['DW_AT_call_line'].value if 'DW_AT_call_line' in call else 0}"
                elif child.tag == "DW_TAG_subprogram" and "DW_AT_decl_file" in child.attributes:
                    place = source(files[child.attributes["DW_AT_decl_file"].value]) + ":0"
                if place:
                    for low, high in die_ranges(dwarf, cu, child):
                        if high > low:
                            scopes.append((low, high, depth, place))
                if child.has_children:
                    walk(child, depth + 1)

        walk(top, 0)
    rows.sort()
    return rows, scopes


def attribute(module_bytes):
    """Bytes of code per place (ours: `src/…:LINE`)."""
    rows, scopes = read_dwarf(module_bytes)
    row_starts = [address for address, _ in rows]
    # Cut every function at each line row and scope edge; each piece takes the
    # place of its first byte.
    edges = collections.defaultdict(list)
    for scope in scopes:
        edges[scope[0]].append(("open", scope))
        edges[scope[1]].append(("close", scope))
    cuts = set(row_starts) | set(edges)
    sums = collections.Counter()
    active = set()
    points = sorted(cuts)
    point = 0
    # Function bodies as offsets in the code section: DWARF's addresses in wasm.
    for _, start, end in function_bodies(dict(sections(module_bytes))[10]):
        pieces = [start] + [c for c in points[bisect.bisect_right(points, start):bisect.bisect_left(points, end)]] + [end]
        for low, high in zip(pieces, pieces[1:]):
            while point < len(points) and points[point] <= low:
                for kind, scope in edges.get(points[point], ()):
                    (active.add if kind == "open" else active.discard)(scope)
                point += 1
            row = bisect.bisect_right(row_starts, low) - 1
            here = rows[row][1] if row >= 0 else "(no line)"
            ours = sorted((s for s in active if s[3].startswith("src/")), key=lambda s: s[2])
            if here.startswith("src/"):
                place = here
            elif ours:
                place = ours[-1][3]
            else:
                place = here
            sums[place] += high - low
    return sums


def table(title, sums, total, rows):
    print(f"{'bytes':>9}  {'share':>6}  {title}")
    for name, size in sums.most_common(rows):
        print(f"{size:9d}  {100 * size / total:5.1f}%  {name}")


def main():
    lines = attribute(pathlib.Path(sys.argv[1]).read_bytes())
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
    table("lines of ours with the most code (a serde derive counts at the derive; "
          ":0, the function's own code)",
          collections.Counter({k: v for k, v in lines.items() if k.startswith("src/")}), total, 15)


if __name__ == "__main__":
    main()
