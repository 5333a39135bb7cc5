"""The final module: its sections, raw and gzipped; the texts it carries (the OpenAPI
document, the login page, the message locales) and what they cost gzipped; and its
largest functions, by the names scripts/build keeps in target/index_bg.named.wasm.
Where the code comes from, by source, is benches/wasm_sources.py's.

Usage: python3 benches/wasm_breakdown.py target/index_bg.named.wasm build/index_bg.wasm
"""

import pathlib
import re
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent / "scripts"))
from wasm_module import leb  # noqa: E402

SECTIONS = {1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
            7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "data count",
            13: "tag"}
# Texts in the data whose cost is worth its own line: file, or a directory of
# per-language modules whose string literals are the text.
TEXTS = {
    "OpenAPI document": "src/surface/openapi.json",
    "login page (HTML)": "src/surface/login.html",
    "message locales": "src/delivery/locale",
}


def sections(module):
    """(id, name, body) of each section; a custom section's name is its own."""
    out, i = [], 8
    while i < len(module):
        kind = module[i]
        size, start = leb(module, i + 1)
        body, i = module[start:start + size], start + size
        if kind == 0:
            length, at = leb(body, 0)
            out.append((0, body[at:at + length].decode(), body[at + length:]))
        else:
            out.append((kind, SECTIONS.get(kind, str(kind)), body))
    return out


def gz(data):
    """Gzipped size, by gzip -9 as scripts/size measures."""
    return len(subprocess.run(["gzip", "-9c"], input=data, capture_output=True, check=True).stdout)


def functions(parts):
    """(size, name) of every function with a body."""
    bodies = dict((name, body) for _, name, body in parts)
    imported = 0
    count, i = leb(bodies["import"], 0)
    for _ in range(count):
        for _ in range(2):  # module, field
            length, i = leb(bodies["import"], i)
            i += length
        kind = bodies["import"][i]
        i += 1
        if kind == 0:
            imported += 1
            _, i = leb(bodies["import"], i)
        elif kind == 1:  # table: reftype, limits
            i += 1
            flags, i = leb(bodies["import"], i + 0)
            _, i = leb(bodies["import"], i)
            if flags & 1:
                _, i = leb(bodies["import"], i)
        elif kind == 2:  # memory: limits
            flags, i = leb(bodies["import"], i)
            _, i = leb(bodies["import"], i)
            if flags & 1:
                _, i = leb(bodies["import"], i)
        elif kind == 3:  # global: type, mutability
            i += 2
        else:  # tag: attribute, type
            i += 1
            _, i = leb(bodies["import"], i)
    names = {}
    section, i = bodies.get("name", b""), 0
    while i < len(section):
        sub, (size, start) = section[i], leb(section, i + 1)
        if sub == 1:
            count, j = leb(section, start)
            for _ in range(count):
                index, j = leb(section, j)
                length, j = leb(section, j)
                names[index] = section[j:j + length].decode(errors="replace")
                j += length
        i = start + size
    code, sizes = bodies["code"], []
    count, i = leb(code, 0)
    for n in range(count):
        size, start = leb(code, i)
        sizes.append((start + size - i, names.get(imported + n, f"function {imported + n}")))
        i = start + size
    return sizes


def texts(data):
    """(name, raw bytes, gzipped alone) of each text found in the data."""
    root = pathlib.Path(__file__).resolve().parent.parent
    out = []
    for name, path in TEXTS.items():
        source = root / path
        if source.is_dir():
            found = bytearray()
            for file in sorted(source.glob("*.rs")):
                for literal in re.findall(r'"((?:[^"\\]|\\.)*)"', file.read_text(), re.S):
                    text = re.sub(r"\\\n\s*", "", literal)  # a continued line
                    text = text.replace("\\n", "\n").replace('\\"', '"').encode()
                    if len(text) > 3 and b"\\" not in text and text in data:
                        found += text
            out.append((name, len(found), gz(bytes(found))))
        else:
            text = source.read_bytes()
            if text in data:
                out.append((name, len(text), gz(text)))
    return out


def main():
    named, final = (pathlib.Path(path).read_bytes() for path in sys.argv[1:3])
    parts = sections(final)
    print(f"{'bytes':>9}  {'gzipped':>8}  section of {sys.argv[2]} "
          f"({len(final)} bytes, {gz(final)} gzipped; each section gzipped alone)")
    for _, name, body in sorted(parts, key=lambda part: -len(part[2])):
        print(f"{len(body):9d}  {gz(body):8d}  {name}")
    data = dict((name, body) for _, name, body in parts).get("data", b"")
    print()
    print(f"{'bytes':>9}  {'gzipped':>8}  text in the data (gzipped alone)")
    for name, raw, packed in texts(data):
        print(f"{raw:9d}  {packed:8d}  {name}")
    print()
    print(f"{'bytes':>9}  largest functions of the final module (wasm-opt inlined "
          "each function with one caller into it)")
    for size, name in sorted(functions(sections(named)), reverse=True)[:15]:
        name = re.sub(r"\[[0-9a-f]{16}\]", "", name)
        print(f"{size:9d}  {name[:150]}")


if __name__ == "__main__":
    main()
