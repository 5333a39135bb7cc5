//! Strict mode (`CONSISTENCY = "durable"`): state ops go to a SQLite-backed Durable
//! Object chosen by the op's routing key (one per destination, one per IP bucket);
//! in every mode, budget leases go to the object of their cap.
//! The object runs the core's [`apply`] over its own storage. It handles one event
//! at a time and its storage calls hold the input gate, so each op's
//! read-modify-write is atomic: 50 racing checks of one code approve exactly once.
//!
//! Storage has no TTL: the object remembers the latest expiry it has written and
//! an alarm deletes everything once that instant has passed.

use super::settled;
use super::OpCounts;
use super::Records;
use crate::policy::state::{apply, State, StateOp, StateReply};
use crate::ports::kv::{from_json, Kv, StoreError};
use std::cell::Cell;
use std::rc::Rc;
use worker::js_sys;
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::worker_sys::DurableObjectStorage;
use worker::{durable_object, Date, DurableObject, Env, ObjectNamespace, Request, Response};

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

/// The latest expiry the object has written, Unix seconds (0: none).
async fn stored_expiry(storage: &DurableObjectStorage) -> worker::Result<u64> {
    let value = settled(storage.get(EXPIRES_KEY)).await?;
    if value.is_undefined() {
        return Ok(0);
    }
    value
        .as_f64()
        .map(|seconds| seconds as u64)
        .ok_or_else(|| worker::Error::RustError("the stored expiry is not a number".into()))
}

/// The object's storage behind the [`Kv`] port; remembers the latest expiry.
/// Called as the runtime defines it: worker's `Storage` passes what it reads and
/// writes through serde-wasm-bindgen.
pub struct ObjectKv {
    storage: DurableObjectStorage,
    now: u64,
    latest_expiry: Cell<u64>,
}

impl Kv for ObjectKv {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        let value = settled(self.storage.get(key)).await.map_err(unavailable)?;
        if value.is_undefined() {
            return Ok(None);
        }
        // Records are written as strings; anything else is not one of ours.
        value.as_string().map(Some).ok_or(StoreError::Unavailable)
    }

    async fn put(&self, key: &str, value: &str, ttl: u64) -> Result<(), StoreError> {
        self.latest_expiry
            .set(self.latest_expiry.get().max(self.now + ttl));
        settled(self.storage.put(key, JsValue::from_str(value)))
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        // The runtime answers whether the key was there: a boolean.
        let existed = settled(self.storage.delete(key))
            .await
            .map_err(unavailable)?;
        existed.as_bool().map(|_| ()).ok_or(StoreError::Unavailable)
    }
}

/// Sets the object's alarm `delay_ms` from now (no options, as worker's
/// `Storage::set_alarm` called it).
async fn set_alarm(storage: &DurableObjectStorage, delay_ms: u64) -> worker::Result<()> {
    let at = js_sys::Date::new(&JsValue::from_f64(
        (Date::now().as_millis() + delay_ms) as f64,
    ));
    settled(storage.set_alarm(at, JsValue::NULL.unchecked_into())).await?;
    Ok(())
}

fn now_seconds() -> u64 {
    Date::now().as_millis() / 1000
}

#[durable_object(alarm)]
pub struct VerificationState {
    state: worker::State,
}

impl VerificationState {
    /// Pushes the clean-up alarm out to the latest expiry written so far.
    async fn extend_expiry(
        &self,
        storage: &DurableObjectStorage,
        expiry: u64,
    ) -> worker::Result<()> {
        let known = stored_expiry(storage).await?;
        if expiry > known {
            // A number (exact: expiries are far below 2^53).
            settled(storage.put(EXPIRES_KEY, JsValue::from_f64(expiry as f64))).await?;
            let delay_ms = (expiry.saturating_sub(now_seconds()) + 1) * 1000;
            set_alarm(storage, delay_ms).await?;
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
            storage: self.state.as_raw().storage()?,
            now: now_seconds(),
            latest_expiry: Cell::new(0),
        };
        match apply(&Records::Object(&kv), &op).await {
            Ok(reply) => {
                self.extend_expiry(&kv.storage, kv.latest_expiry.get())
                    .await?;
                Response::ok(serde_json::to_string(&reply)?)
            }
            Err(StoreError::Busy) => Response::error("busy", 429),
            Err(StoreError::Unavailable) => Response::error("unavailable", 503),
        }
    }

    async fn alarm(&self) -> worker::Result<Response> {
        let storage = self.state.as_raw().storage()?;
        let expiry = stored_expiry(&storage).await?;
        if now_seconds() >= expiry {
            settled(storage.delete_all()).await?;
        } else {
            set_alarm(&storage, (expiry - now_seconds() + 1) * 1000).await?;
        }
        Response::ok("")
    }
}
