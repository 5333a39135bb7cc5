"""Where the module's bytes are, per crate (and per layer of ours): sums of
`twiggy top --format csv` over the final module with its function names kept
(target/index_bg.named.wasm, which scripts/build writes before stripping them).
wasm-opt inlines, so a function's bytes count where it ended up: `js_sys` holds
the request handler's async state machines (inlined into `future_to_promise`).
Usage: twiggy top -n 1000000 --format csv target/index_bg.named.wasm | python3 benches/wasm_breakdown.py
"""

import collections
import csv
import re
import sys

ITEM = re.compile(r"([A-Za-z_]\w*)(?:\[[0-9a-f]+\])?(?:::(\w+))?")


def group(name):
    if name.startswith("data segment"):
        return "(data: strings, tables, texts, documents)"
    if name.startswith('"') or name.startswith("custom section"):
        return "(names and custom sections, stripped)"
    inner = re.sub(r"^<?(&mut |&|dyn |\[|\()*", "", name)
    match = ITEM.match(inner)
    if not match:
        return "(other)"
    crate, module = match.groups()
    if crate == "edge_otp" and module:
        return f"edge_otp::{module}"
    return crate


def main():
    sums = collections.Counter()
    for row in csv.DictReader(sys.stdin):
        sums[group(row["Name"])] += int(row["ShallowSize"])
    stripped = sums.pop("(names and custom sections, stripped)", 0)
    total = sum(sums.values())
    print(f"{'bytes':>9}  {'share':>6}  group (final module, {total} bytes without {stripped} of names)")
    for name, size in sums.most_common(30):
        print(f"{size:9d}  {100 * size / total:5.1f}%  {name}")


if __name__ == "__main__":
    main()
