"""A wasm module's sections, read and rewritten: for the build's steps after the
link (strip-exports.py, short-imports.py)."""


def leb(data, i):
    """The unsigned LEB128 number at `i`, and where it ends."""
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def uleb(value):
    """`value` as unsigned LEB128."""
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def rewrite(data, section, change):
    """The module with the body of its section number `section` (2 imports, 7
    exports) replaced by `change(body)`; the other sections as they are."""
    out, i = bytearray(data[:8]), 8
    while i < len(data):
        kind = data[i]
        size, start = leb(data, i + 1)
        body, i = data[start:start + size], start + size
        if kind == section:
            body = change(body)
        out += bytes([kind]) + uleb(len(body)) + body
    return bytes(out)
