#!/usr/bin/env python3
"""Gives the module's imports from its JS shim short names, in the module and in
the shim alike: wasm-bindgen names each one after its JS function and a 16-digit
hash (`__wbg_get_a3378cb3100de566`), which the module carries for all of them and
gzip cannot shrink. They become `_0`, `_1`, … An import is renamed only when its
name appears exactly once in the shim, as a key of the imports object; a shim
that calls it anything else leaves it as it is. A name the two files do not agree
on fails the module's instantiation at the first request, which every end-to-end
test makes.

usage: short-imports.py MODULE SHIM   (both rewritten in place)"""

import re
import sys

from wasm_module import import_descriptor_end, leb, rewrite, uleb

SHIM_MODULE = b"./index_bg.js"


def main(module_path, shim_path):
    shim = open(shim_path, encoding="utf-8").read()
    renamed = 0

    def shorten(body):
        nonlocal shim, renamed
        count, j = leb(body, 0)
        entries = []
        for _ in range(count):
            length, j = leb(body, j)
            module = body[j:j + length]
            j += length
            length, j = leb(body, j)
            name = body[j:j + length].decode()
            j += length
            end = import_descriptor_end(body, j)
            descriptor, j = body[j:end], end
            key = re.compile(r"(?<![\w$])" + re.escape(name) + r"(?=:)")
            if module == SHIM_MODULE and shim.count(name) == 1 and len(key.findall(shim)) == 1:
                short = f"_{renamed}"
                shim = key.sub(short, shim)
                name, renamed = short, renamed + 1
            encoded = name.encode()
            entries.append(uleb(len(module)) + module + uleb(len(encoded)) + encoded + descriptor)
        return uleb(count) + b"".join(entries)

    data = rewrite(open(module_path, "rb").read(), 2, shorten)
    open(module_path, "wb").write(data)
    open(shim_path, "w", encoding="utf-8").write(shim)
    print(f"short-imports: {renamed} imports renamed", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:3])
