"""A wasm module's sections, read and rewritten: for the build's steps after the
link (strip-exports.py, stub-functions.py, short-imports.py), and by the
bench's breakdown (benches/wasm_breakdown.py)."""


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
