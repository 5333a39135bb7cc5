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

UNUSED = re.compile(
    r"^(__wbg_(get_|set_)?)?"
    r"(containerstartupoptions|minifyconfig|r2range|intounderlying(bytesource|sink|source))_"
    r"|^verificationstate_(connect|webSocketMessage|webSocketClose|webSocketError)$"
)


def leb(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def uleb(value):
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def main(source, target):
    data = open(source, "rb").read()
    out, i, dropped = bytearray(data[:8]), 8, []
    while i < len(data):
        section = data[i]
        size, start = leb(data, i + 1)
        body, i = data[start:start + size], start + size
        if section == 7:  # exports
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
            body = uleb(len(kept)) + b"".join(kept)
        out += bytes([section]) + uleb(len(body)) + body
    open(target, "wb").write(out)
    print(f"strip-exports: {len(dropped)} unused exports dropped", file=sys.stderr)


if __name__ == "__main__":
    main(*sys.argv[1:3])
