//! Workers KV behind the [`Kv`] port. KV's platform caveats (60 s minimum TTL, one
//! write per second per key, changes visible elsewhere only after up to a minute)
//! are stated in `crate::ports::kv`; this adapter clamps TTLs and maps a 429 on a hot
//! key to [`StoreError::Busy`].

use super::OpCounts;
use crate::ports::kv::{Kv, StoreError, MIN_TTL};
use std::rc::Rc;
use worker::kv::{KvError, KvStore};

#[derive(Clone)]
pub struct WorkersKv {
    store: KvStore,
    /// This request's KV operations, for the request log line.
    counts: Rc<OpCounts>,
}

impl WorkersKv {
    pub fn new(store: KvStore, counts: Rc<OpCounts>) -> Self {
        WorkersKv { store, counts }
    }
}

fn classify(error: KvError) -> StoreError {
    let text = error.to_string();
    if text.contains("429") || text.to_ascii_lowercase().contains("too many requests") {
        StoreError::Busy
    } else {
        super::log(&serde_json::json!({"level": "error", "event": "kv", "detail": text}));
        StoreError::Unavailable
    }
}

impl Kv for WorkersKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.counts.kv_reads.set(self.counts.kv_reads.get() + 1);
        self.store.get(key).text().await.map_err(classify)
    }

    async fn put(&self, key: &str, value: &str, ttl: u64) -> Result<(), StoreError> {
        self.counts.kv_writes.set(self.counts.kv_writes.get() + 1);
        // Bytes, not `put(&str)`: that goes through serde-wasm-bindgen and brings
        // float formatting into the module for nothing.
        self.store
            .put_bytes(key, value.as_bytes())
            .map_err(classify)?
            .expiration_ttl(ttl.max(MIN_TTL))
            .execute()
            .await
            .map_err(classify)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.counts.kv_writes.set(self.counts.kv_writes.get() + 1);
        self.store.delete(key).await.map_err(classify)
    }
}
