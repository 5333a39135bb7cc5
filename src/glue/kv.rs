//! Workers KV behind the [`Kv`] port. KV's platform caveats (60 s minimum TTL, one
//! write per second per key, changes visible elsewhere only after up to a minute)
//! are stated in `crate::ports::kv`; this adapter clamps TTLs and maps a 429 on a hot
//! key to [`StoreError::Busy`].

use super::OpCounts;
use super::{options, settled};
use crate::core::text;
use crate::ports::kv::{Kv, StoreError, MIN_TTL};
use std::rc::Rc;
use worker::js_sys::{Object, Promise};
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsValue};

#[wasm_bindgen]
extern "C" {
    /// A KV namespace binding, called as the runtime defines it. worker's `KvStore`
    /// builds each call's options object through serde-wasm-bindgen and looks up
    /// five methods per binding per request; these three calls need neither.
    #[derive(Clone)]
    pub type KvNamespace;

    #[wasm_bindgen(method, catch)]
    fn get(this: &KvNamespace, key: &str, kind: &str) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn put(
        this: &KvNamespace,
        key: &str,
        value: &str,
        options: &Object,
    ) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn delete(this: &KvNamespace, key: &str) -> Result<Promise, JsValue>;

    /// JavaScript's `String(value)`: an `Error` as `name: message` (its
    /// `toString`), a string as itself.
    #[wasm_bindgen(js_name = String)]
    fn as_text(value: &JsValue) -> String;
}

#[derive(Clone)]
pub struct WorkersKv {
    store: KvNamespace,
    /// This request's KV operations, for the request log line.
    counts: Rc<OpCounts>,
}

impl WorkersKv {
    pub fn new(store: KvNamespace, counts: Rc<OpCounts>) -> Self {
        WorkersKv { store, counts }
    }
}

fn classify(error: JsValue) -> StoreError {
    // What the call threw, as text: an `Error`'s `name: message`, a thrown string.
    let text = format!("js error: {}", as_text(&error));
    if text::contains(&text, "429")
        || text::contains(&text.to_ascii_lowercase(), "too many requests")
    {
        StoreError::Busy
    } else {
        super::log("error", "kv", &text, []);
        StoreError::Unavailable
    }
}

/// The settled value of a call's promise, its error classified.
async fn settle(call: Result<Promise, JsValue>) -> Result<JsValue, StoreError> {
    settled(call).await.map_err(classify)
}

impl Kv for WorkersKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.counts.kv_reads.set(self.counts.kv_reads.get() + 1);
        Ok(settle(self.store.get(key, "text")).await?.as_string())
    }

    async fn put(&self, key: &str, value: &str, ttl: u64) -> Result<(), StoreError> {
        self.counts.kv_writes.set(self.counts.kv_writes.get() + 1);
        let ttl = JsValue::from_f64(ttl.max(MIN_TTL) as f64);
        let options = options(&[("expirationTtl", ttl)]);
        settle(self.store.put(key, value, &options))
            .await
            .map(|_| ())
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.counts.kv_writes.set(self.counts.kv_writes.get() + 1);
        settle(self.store.delete(key)).await.map(|_| ())
    }
}
