// Orders the module's functions so that gzip finds more of each in the code before
// it: `node scripts/layout.mjs in.wasm out.wasm`. The code does not change, only
// the order of the functions in the code section (and so the function indices,
// which binaryen rewrites everywhere they appear).
//
// gzip (DEFLATE) codes a run of bytes as a reference to the same bytes up to 32 KB
// back. Functions that share byte sequences (the copies of a generic, the routes
// that build the same replies) compress better next to each other. The order is
// greedy: after the largest function comes, each time, the one with the largest
// share of its 6-byte sequences in the last 32 KB of code laid out (the share is
// those in the window over its count raised to a power, 1 unless a third argument
// says otherwise: below 1, larger functions win more often; scripts/build tries a
// few and keeps the smallest module). This is the
// idea of lld's --bp-compression-sort, which wasm-ld does not have. It takes 2.6 KB
// off the gzipped module (177.9 KB to 175.2 KB). What the runtime does with the
// module stays the same, and the raw size nearly so (calls name the functions by
// their new indices, some in fewer bytes).
//
// The module is written without optimizing it again; scripts/build runs wasm-opt
// after this (binaryen's passes keep the order of functions).
import binaryen from "binaryen";
import fs from "node:fs";

const [input, output, power = "1"] = process.argv.slice(2);
const POWER = Number(power);
if (!(POWER >= 0 && POWER <= 2)) throw new Error(`power ${power}: expected 0 to 2`);
const bytes = fs.readFileSync(input);

/** An unsigned LEB128 at `at`: [value, the offset after it]. */
function leb(at) {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

/** Each function body of the code section, as [start, end) in `bytes`. */
function bodies() {
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at];
    const [size, start] = leb(at + 1);
    if (id === 10) {
      let [count, i] = leb(start);
      const out = [];
      for (; count > 0; count--) {
        const [length, body] = leb(i);
        out.push([i, body + length]);
        i = body + length;
      }
      return out;
    }
    at = start + size;
  }
  throw new Error(`${input} has no code section`);
}

const SEQUENCE = 6;
const WINDOW = 32 * 1024;

/** The greedy order of the functions (indices into `ranges`). */
function order(ranges) {
  const sizes = ranges.map(([start, end]) => end - start);
  // Each function's distinct 6-byte sequences, and which functions hold each.
  const sequences = ranges.map(([start, end]) => {
    const seen = new Set();
    for (let i = start; i + SEQUENCE <= end; i++) {
      seen.add(bytes.readUIntLE(i, SEQUENCE));
    }
    return [...seen];
  });
  const holders = new Map();
  sequences.forEach((list, f) => {
    for (const s of list) {
      const h = holders.get(s);
      if (h) h.push(f);
      else holders.set(s, [f]);
    }
  });
  // How often each sequence is in the window, and per function how many of its
  // sequences are: both kept up to date as functions enter and leave the window.
  const inWindow = new Map();
  const shared = new Float64Array(ranges.length);
  const placed = new Uint8Array(ranges.length);
  const enter = (f, step) => {
    for (const s of sequences[f]) {
      const n = (inWindow.get(s) || 0) + step;
      inWindow.set(s, n);
      if ((step > 0 && n === 1) || (step < 0 && n === 0)) {
        for (const g of holders.get(s)) shared[g] += step;
      }
    }
  };
  const out = [];
  const window = [];
  let windowBytes = 0;
  let next = sizes.indexOf(Math.max(...sizes));
  while (next >= 0) {
    out.push(next);
    placed[next] = 1;
    enter(next, 1);
    window.push(next);
    windowBytes += sizes[next];
    while (windowBytes > WINDOW && window.length > 1) {
      const gone = window.shift();
      windowBytes -= sizes[gone];
      enter(gone, -1);
    }
    next = -1;
    let best = -1;
    for (let f = 0; f < ranges.length; f++) {
      if (placed[f]) continue;
      const score = shared[f] / (sequences[f].length + 1) ** POWER;
      if (score > best) {
        best = score;
        next = f;
      }
    }
  }
  return out;
}

const module = binaryen.readBinary(bytes);
// The features come from the module's target-features section (scripts/build's
// first wasm-opt pass writes it, its last strips it): without them the module
// would not validate, and the section would not be written again.
if (module.getFeatures() === binaryen.Features.MVP) {
  throw new Error(`${input} lists no wasm features`);
}
const functions = [];
for (let i = 0; i < module.getNumFunctions(); i++) {
  functions.push(binaryen.getFunctionInfo(module.getFunctionByIndex(i)));
}
// Imported functions come first in the index space and stay where they are.
const defined = functions.filter((f) => !f.module);
const ranges = bodies();
if (ranges.length !== defined.length) {
  throw new Error(`${ranges.length} bodies for ${defined.length} functions`);
}
// A function removed and added again goes last, with the same body (binaryen
// keeps expressions in the module's arena, not in the function).
for (const f of order(ranges)) {
  const { name, params, results, vars, body } = defined[f];
  module.removeFunction(name);
  module.addFunction(name, params, results, vars, body);
}
if (!module.validate()) throw new Error("the reordered module does not validate");
fs.writeFileSync(output, module.emitBinary());
