"""Lays out the module's static data in the order gzip compresses best: the pieces
of data that are text together, and the binary ones (tables, vtables, numbers)
together, rather than in the compiler's order, where a table sits between two
strings and breaks the matches gzip finds from one text to the next.

The linker writes each input data section as a segment of its own
(`--no-merge-data-segments`) and keeps its relocations and symbol table
(`--emit-relocs`): every place in the code and the data that holds an address of
static data is a relocation against a data symbol, which names its segment. This
moves each segment to its new address, writes each such address again (in the
5-byte LEB128 the linker left, or the 4-byte word), and writes the data as one
segment; the relocations and the symbol table are then dropped, so that what
follows (wasm-bindgen, wasm-opt) sees an ordinary module.

A piece that nothing live addresses (scripts/reachable.py: only code that never
runs does, such as std's panic hook with its messages and I/O error texts) is
left out; the addresses of it that such code holds are written as 0. wasm-opt
cannot do this itself: it does not know which addresses in the code are data's.

Usage: python3 scripts/data-layout.py IN.wasm OUT.wasm
"""

import sys

from reachable import Reach
from wasm_module import ABSOLUTE, custom, data_segments, leb, linking, relocations, sections, sleb, uleb

# Relocation types (the tool conventions' Linking.md) whose value is an address in
# memory: an unsigned LEB128, a signed LEB128, a 4-byte word. Any other kind of
# memory address (64-bit, relative, TLS) is not in a wasm32 module without threads
# or PIC: finding one stops the build.
MEMORY_LEB, MEMORY_SLEB, MEMORY_I32 = 3, 4, 5
MEMORY_OTHER = {11, 14, 15, 16, 17, 21, 23, 25}


def is_text(data):
    """Whether `data` is text (printable ASCII or UTF-8, nine bytes in ten)."""
    printable = sum(32 <= b < 127 or b >= 0x80 or b in (9, 10) for b in data)
    return len(data) > 0 and printable >= 0.9 * len(data)


def padded_leb(value, signed):
    """`value` in 5 bytes of LEB128, as the linker writes a relocated field."""
    out = bytearray()
    for n in range(5):
        byte = value & 0x7F
        value >>= 7
        out.append(byte | (0x80 if n < 4 else 0))
    assert value in ((0, -1) if signed else (0,)), "an address beyond 32 bits"
    return bytes(out)


def main():
    module = open(sys.argv[1], "rb").read()
    parts = list(sections(module))
    named = {custom(body)[0]: custom(body)[1] for kind, body in parts if kind == 0}
    segments, symbols = linking(named["linking"])
    index_of = {}
    for n, (kind, body) in enumerate(parts):
        index_of.setdefault(kind, n)
    code_body, data_body = parts[index_of[10]][1], parts[index_of[11]][1]
    data = data_segments(data_body)
    assert len(data) == len(segments), "one segment for each of the linking section's"

    # The new order: the binary pieces (tables, vtables, numbers; after the code,
    # which is binary too), then the text beyond ASCII (the locales), then the
    # ASCII text, then the pieces of zeros (.bss, which need no bytes in the
    # module). Within each, a piece with more alignment first, so that little is
    # padding, then the compiler's order.
    def group(n):
        piece = data[n][2]
        if not any(piece):
            return 3
        if not is_text(piece):
            return 0
        return 1 if any(b >= 0x80 for b in piece) else 2
    # Pieces nothing live addresses (scripts/reachable.py: only code that never
    # runs, a panic hook's, does) are left out.
    reach = Reach(module)
    order = sorted(reach.live_data, key=lambda n: (group(n), -segments[n][1], n))
    base = min(address for address, _, _ in data)
    end = max(address + len(bytes_) for address, _, bytes_ in data)
    moved = {}
    at = base
    for n in order:
        align = segments[n][1]
        at = (at + align - 1) // align * align
        moved[n] = at
        at += len(data[n][2])
    assert at <= end, f"the laid-out data ends at {at:#x}, after {end:#x}"

    def new_address(symbol, addend):
        kind, flags, segment, offset = symbols[symbol]
        assert kind == 1, "a memory relocation against a data symbol"
        if flags & ABSOLUTE or segment is None:
            return None  # an address the linker made up (__heap_base): unchanged
        if segment not in moved:
            return 0  # a piece left out, addressed by code that never runs
        return moved[segment] + offset + addend

    code = bytearray(code_body)
    bodies = [bytearray(bytes_) for _, _, bytes_ in data]
    starts = [start for _, start, _ in data]
    rewritten = kept = 0
    for kind, body in parts:
        if kind != 0 or not custom(body)[0].startswith("reloc."):
            continue
        target, entries = relocations(custom(body)[1])
        in_code = target == index_of[10]
        assert in_code or target == index_of[11], f"relocations of section {target}"
        for rtype, offset, symbol, addend in entries:
            if rtype in MEMORY_OTHER:
                raise SystemExit(f"data-layout: a memory relocation of type {rtype}")
            if rtype not in (MEMORY_LEB, MEMORY_SLEB, MEMORY_I32):
                continue  # a function, type, global or table index: unchanged
            value = new_address(symbol, addend)
            if value is None:
                kept += 1
                continue
            if in_code:
                place, where = code, offset
                holder_runs = reach.runs(reach.function_at(offset))
            else:
                # Which segment's bytes the offset is in (of the data section's body).
                n = max(k for k, start in enumerate(starts) if start <= offset)
                place, where = bodies[n], offset - starts[n]
                holder_runs = n in moved
            if holder_runs and value == 0:
                raise SystemExit("data-layout: live code or data addresses a piece left out")
            if rtype == MEMORY_I32:
                place[where:where + 4] = value.to_bytes(4, "little")
            else:
                old = leb(place, where, signed=rtype == MEMORY_SLEB)
                assert old[1] - where == 5, "a padded LEB128 where the linker relocated"
                place[where:where + 5] = padded_leb(value, rtype == MEMORY_SLEB)
            rewritten += 1

    laid_out = bytearray(at - base)
    for n in order:
        laid_out[moved[n] - base:moved[n] - base + len(bodies[n])] = bodies[n]
    laid_out = bytes(laid_out).rstrip(b"\0")
    new_data = uleb(1) + b"\x00\x41" + sleb(base) + b"\x0b" + uleb(len(laid_out)) + laid_out
    out = bytearray(module[:8])
    for kind, body in parts:
        if kind == 0 and (custom(body)[0] == "linking" or custom(body)[0].startswith("reloc.")):
            continue
        if kind == 0 and custom(body)[0] == "name":
            body = without_data_names(body)
        if kind == 10:
            body = bytes(code)
        elif kind == 11:
            body = new_data
        elif kind == 12:  # data count
            body = uleb(1)
        out += bytes([kind]) + uleb(len(body)) + body
    open(sys.argv[2], "wb").write(out)
    left_out = [n for n in range(len(data)) if n not in moved]
    print(f"data-layout: {len(moved)} pieces, {rewritten} addresses written again, "
          f"{kept} absolute ones kept; {len(left_out)} pieces nothing live addresses "
          f"({sum(len(data[n][2]) for n in left_out)} bytes) left out", file=sys.stderr)


def without_data_names(body):
    """The name section without its data segment names (subsection 9): the
    segments they name are now one."""
    section_name, rest = custom(body)
    out = bytearray(body[:len(body) - len(rest)])
    i = 0
    while i < len(rest):
        kind = rest[i]
        size, start = leb(rest, i + 1)
        if kind != 9:
            out += rest[i:start + size]
        i = start + size
    return bytes(out)


if __name__ == "__main__":
    main()
