// The wasm instance, guarded so that no Rust code runs again in it after an
// exception crossed its frames (bundled into build/index.js, where
// scripts/guard-instance.py makes wasm-bindgen's instantiations call `guarded`).
//
// An exception that unwinds Rust frames runs none of their destructors: a trap (a
// panic: the build aborts on panic), or a JS exception thrown by an import the Rust
// code called. A `RefCell` stays borrowed, a lock stays held, the shadow stack
// pointer stays where it was. So:
// - an exception that leaves any import or export marks the instance broken, calls
//   `broken` (which schedules wasm-bindgen's reinit: its guard at every entry into
//   the module, a closure's included, then starts a fresh instance first), and goes
//   on as it was;
// - an import that returns normally to a broken instance throws instead, so that the
//   Rust frames that called it go no further (an export nested in the import broke
//   it, and the import's JS swallowed the exception, as wasm-bindgen's `catch`
//   imports do).
// wasm-bindgen's `--force-enable-abort-handler` builds a like guard into the module,
// as one wrapper function per import (7 KB raw, 1 KB gzipped); under panic=abort it
// marks the instance terminated without scheduling a fresh one, so every later
// request failed (scripts/build says more).

/** A `{ exports }` of `module` instantiated with `imports`, both guarded; `broken`
 * is called at each exception that leaves the instance. */
export function guarded(module, imports, broken) {
  let ok = true;
  const fail = () => {
    ok = false;
    broken();
  };
  const guardedImports = { __proto__: null };
  for (const [space, functions] of Object.entries(imports)) {
    guardedImports[space] = wrapAll(functions, (f) => (...args) => {
      let result;
      try {
        result = f(...args);
      } catch (e) {
        fail();
        throw e;
      }
      if (!ok) throw new Error("Module terminated");
      return result;
    });
  }
  const instance = new WebAssembly.Instance(module, guardedImports);
  const exports = wrapAll(instance.exports, (f) => (...args) => {
    try {
      return f(...args);
    } catch (e) {
      fail();
      throw e;
    }
  });
  return { exports };
}

/** `object` with each function member wrapped, the others as they are. */
function wrapAll(object, wrap) {
  const out = { __proto__: null };
  for (const [name, value] of Object.entries(object)) {
    out[name] = typeof value === "function" ? wrap(value) : value;
  }
  return out;
}
