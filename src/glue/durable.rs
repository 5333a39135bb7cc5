//! Strict mode (`CONSISTENCY = "durable"`): state ops go to a SQLite-backed Durable
//! Object chosen by the op's routing key (one per destination, one per IP bucket);
//! in every mode, budget leases go to the object of their cap.
//! The object runs the core's [`apply`] over its own storage. It handles one event
//! at a time and its storage calls hold the input gate, so each op's
//! read-modify-write is atomic: 50 racing checks of one code approve exactly once.
//!
//! Storage has no TTL: the object remembers the latest expiry it has written and
//! an alarm deletes everything once that instant has passed.

use super::{http, promise, settled, OpCounts, Records};
use crate::core::json;
use crate::policy::state::{apply, State, StateOp, StateReply};
use crate::ports::kv::{Kv, StoreError};
use crate::surface::http::Response;
use std::cell::Cell;
use std::rc::Rc;
use worker::js_sys::Promise;
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsCast, JsValue};
use worker::web_sys;
use worker::worker_sys::{DurableObjectNamespace, DurableObjectState, DurableObjectStorage};

/// The binding of `wrangler.toml` (`class_name = "VerificationState"`).
pub const BINDING: &str = "VERIFICATION_STATE";
const EXPIRES_KEY: &str = "__expires_at";

/// Client side: sends each op to its object.
pub struct DurableState {
    namespace: DurableObjectNamespace,
    /// This request's object calls, for the request log line.
    counts: Rc<OpCounts>,
}

impl DurableState {
    pub fn new(namespace: DurableObjectNamespace, counts: Rc<OpCounts>) -> Self {
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
            .and_then(|id| self.namespace.get(&id))
            .map_err(unavailable)?;
        let body = serde_json::to_string(&op).map_err(unavailable)?;
        let request =
            super::transport::request("POST", "https://verification-state/op", &[], &body)
                .map_err(unavailable)?;
        let response: web_sys::Response = settled(stub.fetch_with_request(&request))
            .await
            .map_err(unavailable)?
            .unchecked_into();
        // JSON text both ways; the reply is read member by member (`core::json`).
        match response.status() {
            200 => {
                let text = http::text(response.text()).await.map_err(unavailable)?;
                json::read::<StateReply>(&text).map_err(|_| StoreError::Unavailable)
            }
            429 => Err(StoreError::Busy),
            _ => Err(StoreError::Unavailable),
        }
    }
}

/// The latest expiry the object has written, Unix seconds (0: none).
async fn stored_expiry(storage: &DurableObjectStorage) -> Result<u64, JsValue> {
    let value = settled(storage.get(EXPIRES_KEY)).await?;
    if value.is_undefined() {
        return Ok(0);
    }
    value
        .as_f64()
        .map(|seconds| seconds as u64)
        .ok_or_else(|| JsValue::from_str("the stored expiry is not a number"))
}

/// The object's storage behind the [`Kv`] port; remembers the latest expiry.
/// Called as the runtime defines it: worker's `Storage` passes what it reads and
/// writes through serde-wasm-bindgen.
pub struct ObjectKv<'a> {
    storage: &'a DurableObjectStorage,
    now: u64,
    latest_expiry: Cell<u64>,
}

impl Kv for ObjectKv<'_> {
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

/// Sets the object's alarm a second past `expiry` (Unix seconds; no options, as
/// worker's `Storage::set_alarm` called it). The time goes as milliseconds since
/// the epoch, which `setAlarm` takes as it takes a `Date` (worker_sys's binding
/// names only the `Date`).
async fn set_alarm(storage: &DurableObjectStorage, expiry: u64) -> Result<(), JsValue> {
    let delay_ms = (expiry.saturating_sub(now_seconds()) + 1) * 1000;
    let at = JsValue::from_f64((super::now_ms() + delay_ms) as f64);
    settled(storage.set_alarm(at.unchecked_into(), JsValue::NULL.unchecked_into())).await?;
    Ok(())
}

fn now_seconds() -> u64 {
    super::now_ms() / 1000
}

/// Pushes the clean-up alarm out to the latest expiry written so far.
async fn extend_expiry(storage: &DurableObjectStorage, expiry: u64) -> Result<(), JsValue> {
    let known = stored_expiry(storage).await?;
    if expiry > known {
        // A number (exact: expiries are far below 2^53).
        settled(storage.put(EXPIRES_KEY, JsValue::from_f64(expiry as f64))).await?;
        set_alarm(storage, expiry).await?;
    }
    Ok(())
}

/// The object's answer: `status` with `text` (made as the worker's responses are,
/// so that the runtime's `Response` is built one way in the module).
fn reply(status: u16, text: &str) -> Result<web_sys::Response, JsValue> {
    http::into_runtime(Response {
        status,
        headers: Vec::new(),
        body: text.to_owned(),
    })
}

/// The object class of `wrangler.toml`, exported as the runtime calls it (worker's
/// `#[durable_object]` passes each call through its `Request` and `Response`).
#[wasm_bindgen(wasm_bindgen = worker::wasm_bindgen)]
pub struct VerificationState {
    storage: DurableObjectStorage,
}

#[wasm_bindgen(wasm_bindgen = worker::wasm_bindgen)]
impl VerificationState {
    #[wasm_bindgen(constructor)]
    pub fn new(state: DurableObjectState, _env: JsValue) -> Result<VerificationState, JsValue> {
        Ok(VerificationState {
            storage: state.storage()?,
        })
    }

    /// One state op, its JSON the request's body; the reply's JSON the answer's.
    pub fn fetch(&self, req: web_sys::Request) -> Promise {
        let storage = self.storage.clone().unchecked_into();
        promise(async move { run_op(storage, req).await.map(JsValue::from) })
    }

    /// Deletes everything once the latest expiry has passed, else waits for it.
    pub fn alarm(&self) -> Promise {
        let storage = self.storage.clone().unchecked_into();
        promise(async move { clean_up(storage).await })
    }
}

/// [`VerificationState::fetch`]'s work.
async fn run_op(
    storage: DurableObjectStorage,
    req: web_sys::Request,
) -> Result<web_sys::Response, JsValue> {
    let Some(op) = http::text(req.text())
        .await
        .ok()
        .and_then(|text: String| json::read::<StateOp>(&text).ok())
    else {
        return reply(400, "bad op");
    };
    let kv = ObjectKv {
        storage: &storage,
        now: now_seconds(),
        latest_expiry: Cell::new(0),
    };
    match apply(&Records::Object(&kv), &op).await {
        Ok(answer) => {
            extend_expiry(&storage, kv.latest_expiry.get()).await?;
            let text = serde_json::to_string(&answer)
                .map_err(|_| JsValue::from_str("the reply did not serialize"))?;
            reply(200, &text)
        }
        Err(StoreError::Busy) => reply(429, "busy"),
        Err(StoreError::Unavailable) => reply(503, "unavailable"),
    }
}

/// [`VerificationState::alarm`]'s work.
async fn clean_up(storage: DurableObjectStorage) -> Result<JsValue, JsValue> {
    let expiry = stored_expiry(&storage).await?;
    if now_seconds() >= expiry {
        settled(storage.delete_all()).await?;
    } else {
        set_alarm(&storage, expiry).await?;
    }
    Ok(JsValue::UNDEFINED)
}
