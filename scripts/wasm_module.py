"""A wasm module's sections, read and rewritten: for the build's steps after the
link (data-layout.py and reachable.py, which read the linker's notes;
strip-exports.py, stub-functions.py, short-imports.py), and by the bench's
breakdown (benches/wasm_breakdown.py)."""


def leb(data, i, signed=False):
    """The LEB128 number at `i` (unsigned, or `signed`), and where it ends."""
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            if signed and byte & 0x40:
                value -= 1 << shift
            return value, i


def uleb(value):
    """`value` as unsigned LEB128."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def sleb(value):
    """`value` as signed LEB128."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        done = value == (-1 if byte & 0x40 else 0)
        out.append(byte | (0 if done else 0x80))
        if done:
            return bytes(out)


def rewrite(data, section, change):
    """The module with the body of its section number `section` (2 imports, 7
    exports) replaced by `change(body)`; the other sections as they are."""
    out = bytearray(data[:8])
    for kind, body in sections(data):
        if kind == section:
            body = change(body)
        out += bytes([kind]) + uleb(len(body)) + body
    return bytes(out)


def sections(data):
    """(id, body) of each section, in order; a custom section's body starts with
    its name."""
    i = 8
    while i < len(data):
        size, start = leb(data, i + 1)
        yield data[i], data[start:start + size]
        i = start + size


def import_descriptor_end(body, j):
    """The end of an import's descriptor (its kind byte at `j`)."""
    kind, j = body[j], j + 1
    if kind == 0:  # function: type index
        return leb(body, j)[1]
    if kind == 1:  # table: reference type, limits
        j += 1
    if kind in (1, 2):  # limits: flags, minimum, maximum when flagged
        flags, j = body[j], j + 1
        j = leb(body, j)[1]
        return leb(body, j)[1] if flags & 1 else j
    if kind == 3:  # global: value type, mutability
        return j + 2
    if kind == 4:  # tag: attribute, type index
        return leb(body, j + 1)[1]
    raise ValueError(f"import kind {kind}")


def imported_functions(body):
    """How many functions the import section (`body`) imports: the index of the
    first function with a body."""
    count, i = leb(body, 0)
    functions = 0
    for _ in range(count):
        for _ in range(2):  # module, field
            length, i = leb(body, i)
            i += length
        functions += body[i] == 0
        i = import_descriptor_end(body, i)
    return functions


def custom(body):
    """A custom section's name and contents."""
    length, at = leb(body, 0)
    return body[at:at + length].decode(), body[at + length:]


def function_bodies(code):
    """(entry, start, end) of each function in the code section `code`: where its
    entry (size first) begins, where its body begins and where it ends."""
    count, i = leb(code, 0)
    out = []
    for _ in range(count):
        size, start = leb(code, i)
        out.append((i, start, start + size))
        i = start + size
    return out


def function_names(data):
    """Function index → name, from the module's `name` section (none: empty)."""
    names = {}
    for kind, section in sections(data):
        name, body = custom(section) if kind == 0 else (None, b"")
        if name != "name":
            continue
        i = 0
        while i < len(body):
            sub = body[i]
            size, start = leb(body, i + 1)
            if sub == 1:  # function names
                count, j = leb(body, start)
                for _ in range(count):
                    index, j = leb(body, j)
                    length, j = leb(body, j)
                    names[index] = body[j:j + length].decode(errors="replace")
                    j += length
            i = start + size
    return names


# The linker's notes (the tool conventions' Linking.md), kept with `--emit-relocs`:
# relocation types with an addend (addresses in memory, offsets into sections).
WITH_ADDEND = {3, 4, 5, 8, 9, 11, 14, 15, 16, 17, 21, 22, 23, 25}
# Symbol flags: not defined here, written with a name of its own, at an address
# the linker made up (__heap_base) rather than in a segment.
UNDEFINED, EXPLICIT_NAME, ABSOLUTE = 0x10, 0x40, 0x200


def name(data, i):
    """The name at `i`, and where it ends."""
    length, i = leb(data, i)
    return data[i:i + length].decode(), i + length


def linking(body):
    """The `linking` section of a linked module (with `--emit-relocs`): its data
    segments (name, alignment) and symbols (kind, flags, index, offset): a data
    symbol's index is its segment (None when undefined), the others' their
    function, global, tag or table index."""
    segments, symbols = [], []
    version, i = leb(body, 0)
    assert version == 2, f"linking section version {version}"
    while i < len(body):
        kind = body[i]
        size, i = leb(body, i + 1)
        end = i + size
        if kind == 5:  # WASM_SEGMENT_INFO
            count, i = leb(body, i)
            for _ in range(count):
                segment, i = name(body, i)
                align, i = leb(body, i)
                _, i = leb(body, i)
                segments.append((segment, 1 << align))
        elif kind == 8:  # WASM_SYMBOL_TABLE
            count, i = leb(body, i)
            for _ in range(count):
                sym_kind = body[i]
                flags, i = leb(body, i + 1)
                index = offset = None
                if sym_kind == 1:  # data: its segment (an absolute one's is 0)
                    _, i = name(body, i)
                    if not flags & UNDEFINED:
                        index, i = leb(body, i)
                        offset, i = leb(body, i)
                        _, i = leb(body, i)
                elif sym_kind == 3:  # section
                    _, i = leb(body, i)
                else:  # function, global, tag, table
                    index, i = leb(body, i)
                    if not flags & UNDEFINED or flags & EXPLICIT_NAME:
                        _, i = name(body, i)
                symbols.append((sym_kind, flags, index, offset))
        i = end
    return segments, symbols


def relocations(body):
    """A `reloc.*` section: the index of the section it applies to, and its
    entries as (type, offset, symbol, addend)."""
    section, i = leb(body, 0)
    count, i = leb(body, i)
    out = []
    for _ in range(count):
        kind = body[i]
        offset, i = leb(body, i + 1)
        symbol, i = leb(body, i)
        addend = 0
        if kind in WITH_ADDEND:
            addend, i = leb(body, i, signed=True)
        out.append((kind, offset, symbol, addend))
    return section, out


def data_segments(body):
    """Each active segment of the data section `body` as [address, start of its
    bytes in `body`, bytes]."""
    count, i = leb(body, 0)
    out = []
    for _ in range(count):
        flags, i = leb(body, i)
        assert flags == 0 and body[i] == 0x41, "an active segment at an i32.const"
        address, i = leb(body, i + 1, signed=True)
        assert body[i] == 0x0B
        length, i = leb(body, i + 1)
        out.append([address, i, bytes(body[i:i + length])])
        i += length
    return out


def table_functions(body):
    """The function indices the element section `body` puts in a table."""
    count, i = leb(body, 0)
    held = set()
    for _ in range(count):
        flags, i = leb(body, i)
        if flags not in (0, 2):
            raise SystemExit(f"wasm_module: element segment kind {flags} not read")
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
