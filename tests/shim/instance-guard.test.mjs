// scripts/instance-guard.mjs against a small module that does what the worker's can:
// call imports (one may throw, one may swallow what a nested export threw), trap,
// and run normally. Run by scripts/test: node --test tests/shim/.
import assert from "node:assert/strict";
import { test } from "node:test";
import binaryen from "binaryen";
import { guarded } from "../../scripts/instance-guard.mjs";

const wat = `(module
  (import "js" "value" (func $value (result i32)))
  (import "js" "throws" (func $throws))
  (import "js" "swallows" (func $swallows))
  (memory (export "memory") 1)
  (global $calls (export "counter") (mut i32) (i32.const 0))
  (func (export "add") (param i32 i32) (result i32)
    (global.set $calls (i32.add (global.get $calls) (i32.const 1)))
    (i32.add (local.get 0) (local.get 1)))
  (func (export "calls") (result i32) (global.get $calls))
  (func (export "value") (result i32) (call $value))
  (func (export "throws") (call $throws) (global.set $calls (i32.const 100)))
  (func (export "trap") (unreachable))
  (func (export "swallows") (call $swallows) (global.set $calls (i32.const 200)))
)`;
const parsed = binaryen.parseText(wat);
const module = new WebAssembly.Module(parsed.emitBinary());
parsed.dispose();

/** An instance with a counter of `broken` calls; `swallows` calls the export
 * `trap` and catches what it throws, as a `catch` import's JS does. */
function instance() {
  const state = { broken: 0 };
  let exports;
  const imports = {
    js: {
      value: () => 7,
      throws: () => {
        throw new TypeError("from JS");
      },
      swallows: () => {
        try {
          exports.trap();
        } catch {
          // kept for the Rust side, as wasm-bindgen's handleError does
        }
      },
    },
  };
  ({ exports } = guarded(module, imports, () => state.broken++));
  return { exports, state };
}

test("calls in and out pass their arguments and results and break nothing", () => {
  const { exports, state } = instance();
  assert.equal(exports.add(2, 3), 5);
  assert.equal(exports.add(4, 5), 9);
  assert.equal(exports.value(), 7);
  assert.equal(exports.calls(), 2);
  assert.equal(state.broken, 0);
});

test("a JS exception thrown by an import goes on, and breaks the instance", () => {
  const { exports, state } = instance();
  assert.throws(() => exports.throws(), { name: "TypeError", message: "from JS" });
  assert.ok(state.broken > 0);
  assert.equal(exports.calls(), 0, "the Rust side went no further than the import");
});

test("a trap goes on as a RuntimeError, and breaks the instance", () => {
  const { exports, state } = instance();
  assert.throws(() => exports.trap(), WebAssembly.RuntimeError);
  assert.ok(state.broken > 0);
});

test("an import that swallowed a nested trap does not return to the instance", () => {
  const { exports, state } = instance();
  assert.throws(() => exports.swallows(), { message: "Module terminated" });
  assert.ok(state.broken > 0);
  assert.equal(exports.calls(), 0, "the Rust side went no further than the import");
});

test("each instance has its own state", () => {
  const first = instance();
  assert.throws(() => first.exports.trap());
  const second = instance();
  assert.equal(second.exports.value(), 7);
  assert.equal(second.state.broken, 0);
});

test("memory and globals are the instance's own, not wrapped", () => {
  const { exports } = instance();
  assert.ok(exports.memory instanceof WebAssembly.Memory);
  exports.add(1, 1);
  assert.equal(exports.counter.value, 1);
});
