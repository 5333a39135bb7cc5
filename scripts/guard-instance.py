#!/usr/bin/env python3
"""Makes wasm-bindgen's JS shim instantiate the module through
scripts/instance-guard.mjs's `guarded`, which says why: both of its
instantiations (the first, and the one of `__wbg_reset_state`) get the guarded
imports and exports, and an exception that crosses the module schedules
wasm-bindgen's reinit (`__wbg_reinit_scheduled`, which its guard at every entry
reads). The build stops if the shim no longer reads as this expects.

usage: guard-instance.py SHIM   (rewritten in place; instance-guard.mjs beside it)"""

import sys

INSTANTIATE = "new WebAssembly.Instance(wasmModule, __wbg_get_imports())"
GUARDED = "guarded(wasmModule, __wbg_get_imports(), () => { __wbg_reinit_scheduled = true; })"
EXPECTED = {
    INSTANTIATE: 2,
    "let __wbg_reinit_scheduled = false;": 1,
    "function __wbg_call_guard() {\n    if (__wbg_reinit_scheduled) {": 1,
}


def main(shim_path):
    shim = open(shim_path, encoding="utf-8").read()
    for text, count in EXPECTED.items():
        if shim.count(text) != count:
            sys.exit(f"guard-instance: the shim holds {shim.count(text)} of {text!r}, not {count}")
    shim = 'import { guarded } from "./instance-guard.mjs";\n' + shim.replace(INSTANTIATE, GUARDED)
    open(shim_path, "w", encoding="utf-8").write(shim)


if __name__ == "__main__":
    main(sys.argv[1])
