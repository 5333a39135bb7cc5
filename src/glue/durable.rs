//! Strict mode (`CONSISTENCY = "durable"`): state ops go to a SQLite-backed Durable
//! Object chosen by the op's routing key (one per destination, one per IP bucket);
//! in every mode, budget leases go to the object of their cap.
//! The object runs the core's [`apply`] over its own storage. It handles one event
//! at a time and its storage calls hold the input gate, so each op's
//! read-modify-write is atomic: 50 racing checks of one code approve exactly once.
//!
//! Storage has no TTL: the object remembers the latest expiry it has written and
//! an alarm deletes everything once that instant has passed.

use super::OpCounts;
use super::Records;
use crate::policy::state::{apply, State, StateOp, StateReply};
use crate::ports::kv::{from_json, Kv, StoreError};
use std::cell::Cell;
use std::rc::Rc;
use worker::js_sys::futures::JsFuture;
use worker::wasm_bindgen::JsValue;
use worker::worker_sys::DurableObjectStorage;
use worker::{
    durable_object, Date, DurableObject, Env, ObjectNamespace, Request, Response, Storage,
};

/// The binding of `wrangler.toml` (`class_name = "VerificationState"`).
pub const BINDING: &str = "VERIFICATION_STATE";
const EXPIRES_KEY: &str = "__expires_at";

/// Client side: sends each op to its object.
pub struct DurableState {
    namespace: ObjectNamespace,
    /// This request's object calls, for the request log line.
    counts: Rc<OpCounts>,
}

impl DurableState {
    pub fn new(namespace: ObjectNamespace, counts: Rc<OpCounts>) -> Self {
        DurableState { namespace, counts }
    }
}

fn unavailable<E>(_: E) -> StoreError {
    StoreError::Unavailable
}

impl State for DurableState {
    async fn run(&self, op: StateOp) -> Result<StateReply, StoreError> {
        self.counts.do_calls.set(self.counts.do_calls.get() + 1);
        let stub = self
            .namespace
            .id_from_name(&op.routing_key())
            .and_then(|id| id.get_stub())
            .map_err(unavailable)?;
        let body = serde_json::to_string(&op).map_err(unavailable)?;
        let request =
            super::transport::request("POST", "https://verification-state/op", &[], &body)
                .map_err(|_| StoreError::Unavailable)?;
        let mut response = stub
            .fetch_with_request(request)
            .await
            .map_err(unavailable)?;
        // JSON text both ways, read by serde_json: one deserializer per message type.
        match response.status_code() {
            200 => {
                let text = response.text().await.map_err(unavailable)?;
                from_json::<StateReply>(&text).ok_or(StoreError::Unavailable)
            }
            429 => Err(StoreError::Busy),
            _ => Err(StoreError::Unavailable),
        }
    }
}

/// A value of the object's storage as JS holds it (`undefined` when absent), read
/// from the runtime's storage: worker's `Storage::get` would pass it through
/// serde-wasm-bindgen's deserializer.
async fn stored(raw: &DurableObjectStorage, key: &str) -> Result<JsValue, JsValue> {
    JsFuture::from(raw.get(key)?).await
}

/// The latest expiry the object has written, Unix seconds (0: none).
async fn stored_expiry(raw: &DurableObjectStorage) -> worker::Result<u64> {
    let value = stored(raw, EXPIRES_KEY).await?;
    if value.is_undefined() {
        return Ok(0);
    }
    value
        .as_f64()
        .map(|seconds| seconds as u64)
        .ok_or_else(|| worker::Error::RustError("the stored expiry is not a number".into()))
}

/// The object's storage behind the [`Kv`] port; remembers the latest expiry.
pub struct ObjectKv {
    storage: Storage,
    /// The same storage, for reads.
    raw: DurableObjectStorage,
    now: u64,
    latest_expiry: Cell<u64>,
}

impl Kv for ObjectKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let value = stored(&self.raw, key).await.map_err(unavailable)?;
        if value.is_undefined() {
            return Ok(None);
        }
        // Records are written as strings; anything else is not one of ours.
        value.as_string().map(Some).ok_or(StoreError::Unavailable)
    }

    async fn put(&self, key: &str, value: &str, ttl: u64) -> Result<(), StoreError> {
        self.latest_expiry
            .set(self.latest_expiry.get().max(self.now + ttl));
        // The string as a JS string (put_raw): `put` would pass it through
        // serde-wasm-bindgen's serializer.
        self.storage
            .put_raw(key, JsValue::from_str(value))
            .await
            .map_err(unavailable)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        self.storage
            .delete(key)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }
}

fn now_seconds() -> u64 {
    Date::now().as_millis() / 1000
}

#[durable_object]
pub struct VerificationState {
    state: worker::State,
}

impl VerificationState {
    /// Pushes the clean-up alarm out to the latest expiry written so far.
    async fn extend_expiry(&self, kv: &ObjectKv, expiry: u64) -> worker::Result<()> {
        let known = stored_expiry(&kv.raw).await?;
        if expiry > known {
            let storage = &kv.storage;
            // A number, as `put` would store it (exact: expiries are far below 2^53).
            storage
                .put_raw(EXPIRES_KEY, JsValue::from_f64(expiry as f64))
                .await?;
            let delay_ms = (expiry.saturating_sub(now_seconds()) + 1) * 1000;
            storage.set_alarm(delay_ms as i64).await?;
        }
        Ok(())
    }
}

impl DurableObject for VerificationState {
    fn new(state: worker::State, _env: Env) -> Self {
        VerificationState { state }
    }

    async fn fetch(&self, mut req: Request) -> worker::Result<Response> {
        let Some(op) = req
            .text()
            .await
            .ok()
            .and_then(|text| from_json::<StateOp>(&text))
        else {
            return Response::error("bad op", 400);
        };
        let kv = ObjectKv {
            storage: self.state.storage(),
            raw: self.state.as_raw().storage()?,
            now: now_seconds(),
            latest_expiry: Cell::new(0),
        };
        match apply(&Records::Object(&kv), &op).await {
            Ok(reply) => {
                self.extend_expiry(&kv, kv.latest_expiry.get()).await?;
                Response::ok(serde_json::to_string(&reply)?)
            }
            Err(StoreError::Busy) => Response::error("busy", 429),
            Err(StoreError::Unavailable) => Response::error("unavailable", 503),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let storage = self.state.storage();
        let expiry = stored_expiry(&self.state.as_raw().storage()?).await?;
        if now_seconds() >= expiry {
            storage.delete_all().await?;
        } else {
            storage
                .set_alarm(((expiry - now_seconds() + 1) * 1000) as i64)
                .await?;
        }
        Response::ok("")
    }
}
