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
from wasm_module import custom, function_bodies, function_names, imported_functions, sections  # noqa: E402

SECTIONS = {1: "type", 2: "import", 3: "function", 4: "table", 5: "memory", 6: "global",
            7: "export", 8: "start", 9: "element", 10: "code", 11: "data", 12: "data count",
            13: "tag"}
# Texts in the data whose cost is worth its own line: file, or a directory of
# per-language modules whose string literals are the text.
TEXTS = {
    "OpenAPI document": "src/surface/openapi.json",
    "login page (HTML)": "src/surface/login.html",
    "login page (script, minified)": "src/surface/login.min.js",
    "message locales": "src/delivery/locale",
}


def named_sections(module):
    """(name, body) of each section; a custom section's name is its own."""
    return [custom(body) if kind == 0 else (SECTIONS.get(kind, str(kind)), body)
            for kind, body in sections(module)]


def gz(data):
    """Gzipped size, by gzip -9 as scripts/size measures."""
    return len(subprocess.run(["gzip", "-9c"], input=data, capture_output=True, check=True).stdout)


def functions(module):
    """(size, name) of every function with a body."""
    names = function_names(module)
    bodies = dict(sections(module))
    imported = imported_functions(bodies[2])
    return [(end - entry, names.get(imported + n, f"function {imported + n}"))
            for n, (entry, _, end) in enumerate(function_bodies(bodies[10]))]


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
    parts = named_sections(final)
    print(f"{'bytes':>9}  {'gzipped':>8}  section of {sys.argv[2]} "
          f"({len(final)} bytes, {gz(final)} gzipped; each section gzipped alone)")
    for name, body in sorted(parts, key=lambda part: -len(part[1])):
        print(f"{len(body):9d}  {gz(body):8d}  {name}")
    data = dict(parts).get("data", b"")
    print()
    print(f"{'bytes':>9}  {'gzipped':>8}  text in the data (gzipped alone)")
    for name, raw, packed in texts(data):
        print(f"{raw:9d}  {packed:8d}  {name}")
    print()
    print(f"{'bytes':>9}  largest functions of the final module (with what was "
          "inlined into them)")
    for size, name in sorted(functions(named), reverse=True)[:15]:
        name = re.sub(r"\[[0-9a-f]{16}\]", "", name)
        print(f"{size:9d}  {name[:150]}")


if __name__ == "__main__":
    main()
