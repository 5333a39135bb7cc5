#!/usr/bin/env python3
"""Drops exports of a wasm module that nothing calls, so that wasm-opt can remove
the code behind them. wasm-bindgen exports every `#[wasm_bindgen]` class of every
crate linked in, used or not: the `worker` crate's container, minify and R2 range
options and wasm-streams' stream adapters (a Rust stream handed to JS), and the
Durable Object's socket and WebSocket handlers, which `VerificationState` does not
implement. The JS shim reads an export only when its class or handler is used.

usage: strip-exports.py IN OUT"""

import re
import sys

from wasm_module import leb, rewrite, uleb

UNUSED = re.compile(
    r"^(__wbg_(get_|set_)?)?"
    r"(containerstartupoptions|minifyconfig|r2range|intounderlying(bytesource|sink|source))_"
    r"|^verificationstate_(connect|webSocketMessage|webSocketClose|webSocketError)$"
)


def main(source, target):
    dropped = []

    def keep_used(body):
        count, j = leb(body, 0)
        kept = []
        for _ in range(count):
            begin = j
            length, j = leb(body, j)
            name = body[j:j + length].decode()
            kind = body[j + length]
            _, j = leb(body, j + length + 1)
            if kind == 0 and UNUSED.search(name):
                dropped.append(name)
            else:
                kept.append(body[begin:j])
        return uleb(len(kept)) + b"".join(kept)

    data = rewrite(open(source, "rb").read(), 7, keep_used)
    open(target, "wb").write(data)
    print(f"strip-exports: {len(dropped)} unused exports dropped", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:3])
