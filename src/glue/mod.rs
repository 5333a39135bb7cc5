//! The edge glue: the only code that touches `worker`, the clock, `getrandom`, KV
//! and `fetch`. It turns the runtime's `Request` into a neutral [`RequestHead`] and
//! body, hands them to the native API with the Workers implementations of the
//! ports, and turns the result back into the runtime's `Response`. It always
//! answers in the documented JSON shape and writes one log line per request.

mod durable;
mod http;
mod kv;
mod queue;
mod transport;
mod webcrypto;

use crate::config::{Config, ConfigError, Consistency};
use crate::core::destination::Channel;
use crate::core::json::{object, Value};
use crate::delivery::failover::Breaker;
use crate::policy::budget::LeaseBook;
use crate::policy::directory::Source;
use crate::policy::serial::KeyLocks;
use crate::policy::state::{Serialised, State, StateOp, StateReply};
use crate::ports::kv::{Kv, StoreError};
use crate::ports::{Entropy, EntropyError, Identified, OutboundRequest, Transport};
use crate::service::error::ApiError;
use crate::service::events::{self, Event};
use crate::service::Deps;
use crate::surface::api::{self, Route};
use crate::surface::cors::CorsHeaders;
use crate::surface::http::{request_id, RequestHead};
use crate::surface::reply::{reply_response, Reply};
use serde::Serialize;
use std::cell::{Cell, OnceCell, RefCell};
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use worker::js_sys::{self, futures::JsFuture, Array, Object, Promise, Reflect};
use worker::wasm_bindgen::{prelude::wasm_bindgen, JsCast, JsValue};
use worker::worker_sys::AnalyticsEngineDataset;
use worker::worker_sys::Context;
use worker::{web_sys, Env};

/// The heap: talc, which grows the module's memory as it needs, in place of std's
/// dlmalloc (why: Cargo.toml).
#[global_allocator]
static ALLOCATOR: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// The KV namespace binding of `wrangler.toml`.
const KV_BINDING: &str = "OTP_KV";
/// The app's user directory, when `DIRECTORY = "kv"`.
const DIRECTORY_BINDING: &str = "USER_DIRECTORY";
/// Workers Analytics Engine dataset for counts per outcome, when bound.
const ANALYTICS_BINDING: &str = "ANALYTICS";
/// The Cloudflare Queue lifecycle events go to, when bound.
const EVENTS_QUEUE_BINDING: &str = "EVENTS_QUEUE";

/// Store operations of one request, reported in its log line (the benchmark sums
/// them).
#[derive(Default)]
pub struct OpCounts {
    pub kv_reads: Cell<u32>,
    pub kv_writes: Cell<u32>,
    pub do_calls: Cell<u32>,
}

/// Where state ops run in this deployment (one type, so the API is compiled once):
/// in KV mode the records live in KV, serialised per key within the isolate, and
/// budget leases go to their Durable Objects; in strict mode every op does.
struct EdgeState {
    kv: kv::WorkersKv,
    objects: durable::DurableState,
    strict: bool,
}

impl State for EdgeState {
    async fn run(&self, op: StateOp) -> Result<StateReply, StoreError> {
        if self.strict || matches!(op, StateOp::Lease { .. }) {
            return self.objects.run(op).await;
        }
        let serialised = Serialised {
            kv: &Records::Kv(&self.kv),
            locks: &LOCKS.with(Rc::clone),
            timer: &transport::WorkersTransport,
        };
        serialised.run(op).await
    }
}

/// Where a state op's records are, as one type: Workers KV (KV mode, in the
/// request's isolate) or the Durable Object's storage (in the object). The core's
/// [`crate::policy::state::apply`], every state op, is then compiled once, not
/// once per store (7 KB less wasm).
pub(crate) enum Records<'a> {
    Kv(&'a kv::WorkersKv),
    Object(&'a durable::ObjectKv<'a>),
}

impl Kv for Records<'_> {
    async fn get(&self, key: &str) -> Result<Option<String>, StoreError> {
        match self {
            Records::Kv(kv) => kv.get(key).await,
            Records::Object(kv) => kv.get(key).await,
        }
    }

    async fn put(&self, key: &str, value: &str, ttl: u64) -> Result<(), StoreError> {
        match self {
            Records::Kv(kv) => kv.put(key, value, ttl).await,
            Records::Object(kv) => kv.put(key, value, ttl).await,
        }
    }

    async fn delete(&self, key: &str) -> Result<(), StoreError> {
        match self {
            Records::Kv(kv) => kv.delete(key).await,
            Records::Object(kv) => kv.delete(key).await,
        }
    }
}

/// The binding `name` of `env`, as the runtime defines it, if there is one.
fn binding<T: JsCast>(env: &Env, name: &str) -> Option<T> {
    let value = Reflect::get(env, &JsValue::from_str(name)).ok()?;
    (!value.is_undefined() && !value.is_null()).then(|| value.unchecked_into())
}

/// An options object for a runtime call: `{name: value, …}`.
fn options(members: &[(&str, JsValue)]) -> Object {
    let object = Object::new();
    for (name, value) in members {
        // Setting a member of a fresh plain object does not throw.
        let _ = Reflect::set(&object, &JsValue::from_str(name), value);
    }
    object
}

/// The settled value of a runtime call's promise; a call that throws is an error
/// like a promise that rejects.
async fn settled(call: Result<Promise, JsValue>) -> Result<JsValue, JsValue> {
    JsFuture::from(call?).await
}

fn misconfigured(detail: &str) -> ApiError {
    log("error", "config", detail, []);
    ApiError::Internal
}

struct GetRandom;

impl Entropy for GetRandom {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError> {
        getrandom::fill(buf).map_err(|_| EntropyError)
    }
}

thread_local! {
    /// Parsed once per isolate: vars and secrets only change with a new deployment.
    static CONFIG: OnceCell<Result<Rc<Config>, ConfigError>> = const { OnceCell::new() };
    /// Providers that keep failing, remembered by this isolate.
    static BREAKER: Rc<RefCell<Breaker>> = Rc::default();
    /// Per-key queues of this isolate's state ops (KV mode).
    static LOCKS: Rc<KeyLocks> = Rc::default();
    /// Units of the money caps this isolate holds.
    static LEASES: Rc<RefCell<LeaseBook>> = Rc::default();
}

fn config(env: &Env) -> Result<Rc<Config>, ConfigError> {
    CONFIG.with(|cell| {
        cell.get_or_init(|| {
            // Vars and secrets are both strings on `env`; anything else (a JSON
            // var) is not one of ours.
            let lookup = |name: &str| binding::<JsValue>(env, name)?.as_string();
            Config::from_env(&lookup).map(Rc::new)
        })
        .clone()
    })
}

async fn serve(
    req: &web_sys::Request,
    env: &Env,
    head: &RequestHead,
    counts: &Rc<OpCounts>,
    events: &RefCell<Vec<Event>>,
) -> Result<Reply, ApiError> {
    let route = Route::resolve(&head.method, &head.path)?;
    let body = if route.takes_body() {
        route.accept_body(head)?;
        http::read_body(req).await?
    } else {
        Vec::new()
    };
    let config = config(env).map_err(|e| misconfigured(&e.to_string()))?;
    if let Some(reply) = api::static_reply(route, head, &config, &GetRandom) {
        return reply;
    }
    let kv = binding(env, KV_BINDING)
        .map(|store| kv::WorkersKv::new(store, counts.clone()))
        .ok_or_else(|| misconfigured("KV binding OTP_KV missing"))?;
    let objects = binding(env, durable::BINDING)
        .map(|namespace| durable::DurableState::new(namespace, counts.clone()))
        .ok_or_else(|| misconfigured("Durable Object binding VERIFICATION_STATE missing"))?;
    let state = EdgeState {
        kv: kv.clone(),
        objects,
        strict: config.consistency == Consistency::Durable,
    };
    let user_directory = match config.directory.as_ref().map(|d| &d.source) {
        Some(Source::Kv) => Some(
            binding(env, DIRECTORY_BINDING)
                .map(|store| kv::WorkersKv::new(store, counts.clone()))
                .ok_or_else(|| {
                    misconfigured("KV binding USER_DIRECTORY missing while DIRECTORY is kv")
                })?,
        ),
        _ => None,
    };
    let breaker = BREAKER.with(Rc::clone);
    let leases = LEASES.with(Rc::clone);
    let transport = outbound(&config.user_agent);
    let deps = Deps {
        config: &config,
        kv: &kv,
        state: &state,
        transport: &transport,
        entropy: &GetRandom,
        ed25519: &webcrypto::WebCrypto,
        user_directory: user_directory.as_ref(),
        breaker: &breaker,
        leases: &leases,
        events,
    };
    let now = now_ms() / 1000;
    api::handle(route, head, &body, &deps, now).await
}

/// A future the runtime awaits as a promise: an entry point's answer, or work after
/// the response. Every one goes through this one boxed type, so that the futures
/// runtime's spawning code is in the module once rather than once per future type
/// (about 300 bytes of wasm each).
pub(crate) fn promise(task: impl Future<Output = Result<JsValue, JsValue>> + 'static) -> Promise {
    let task: Pin<Box<dyn Future<Output = Result<JsValue, JsValue>>>> = Box::pin(task);
    worker::wasm_bindgen_futures::future_to_promise(task)
}

/// `task` run after the response (`waitUntil`).
fn after_response(ctx: &Context, task: impl Future<Output = ()> + 'static) {
    let task = promise(async move {
        task.await;
        Ok(JsValue::UNDEFINED)
    });
    if ctx.wait_until(&task).is_err() {
        log(
            "error",
            "events",
            "the runtime refused the work after the response",
            [],
        );
    }
}

/// After the response (`waitUntil`): stamps the request's lifecycle events with an
/// id and its latency, then sends them to the `EVENTS_QUEUE` queue when one is
/// bound (its consumer delivers them), else posts each to `EVENTS_URL` with one
/// retry after a second; an event neither takes is dropped and logged.
fn post_events(ctx: &Context, env: &Env, events: Vec<Event>, latency_ms: u64) {
    if events.is_empty() {
        return;
    }
    let Ok(config) = config(env) else {
        return;
    };
    let mut events = events;
    for event in &mut events {
        event.id = event_id();
        event.latency_ms = Some(latency_ms);
    }
    if let Some(queue) = binding::<queue::Producer>(env, EVENTS_QUEUE_BINDING) {
        // Each event as the JS object of its JSON (serde_json writes it; the
        // runtime parses it), so no second serializer comes into the module.
        let mut bodies: Vec<JsValue> = Vec::new();
        for event in &events {
            let text = serde_json::to_string(event).ok();
            if let Some(body) = text.and_then(|text| js_sys::JSON::parse(&text).ok()) {
                bodies.push(body);
            }
        }
        after_response(ctx, deliver(Delivery::Queue(queue, bodies)));
        return;
    }
    let Some((url, secret)) = config.events.clone() else {
        return;
    };
    for event in events {
        let request = event.request(&url, &secret, now_ms() / 1000);
        let delivery = Delivery::Post(request, event.kind, config.user_agent.clone());
        after_response(ctx, deliver(delivery));
    }
}

/// Where [`post_events`] sends: a batch to the queue, or one event's request.
enum Delivery {
    Queue(queue::Producer, Vec<JsValue>),
    Post(OutboundRequest, &'static str, String),
}

/// Sends one [`Delivery`] after the response (one future type for both kinds, so
/// that `waitUntil`'s promise glue is in the module once).
async fn deliver(delivery: Delivery) {
    match delivery {
        Delivery::Queue(queue, bodies) => {
            let count = bodies.len();
            if queue.send_json(bodies).await.is_err() {
                let detail = "the events queue refused a batch";
                log("warn", "events", detail, [("count", count.into())]);
            }
        }
        Delivery::Post(request, kind, user_agent) => {
            let transport = outbound(&user_agent);
            for attempt in 0..2 {
                if attempt > 0 {
                    transport.sleep(1000).await;
                }
                if transport
                    .fetch(&request, 3000)
                    .await
                    .is_ok_and(|reply| reply.succeeded())
                {
                    return;
                }
            }
            let detail = "an event was not accepted";
            log("warn", "events", detail, [("type", kind.into())]);
        }
    }
}

/// Writes one log line: `{"level", "event", "detail"}` and the `extra` members.
pub(crate) fn log<const N: usize>(
    level: &str,
    event: &str,
    detail: &str,
    mut extra: [(&str, Value); N],
) {
    write_log(level, event, detail, &mut extra);
}

/// [`log`]'s one copy. The JSON text by serde_json's writer.
fn write_log(level: &str, event: &str, detail: &str, extra: &mut [(&str, Value)]) {
    let mut line = object([
        ("level", level.into()),
        ("event", event.into()),
        ("detail", detail.into()),
    ]);
    for (key, value) in extra {
        line.set(key, std::mem::take(value));
    }
    console(&serde_json::to_string(&line).unwrap_or_default());
}

fn console(text: &str) {
    transport::WorkersTransport.console(text);
}

/// The one line each request logs: never the code, a token or a full destination.
/// Written straight from this struct (a `json!` map would build and sort a tree of
/// twelve members first, on every request). Its numbers are `u64`s: serde_json keeps
/// an integer writer for each width it writes, and the module writes only `u64`s.
#[derive(Serialize)]
struct RequestLine<'a> {
    request_id: &'a str,
    method: &'a str,
    route: &'static str,
    status: u64,
    outcome: &'static str,
    channel: Option<Channel>,
    calling_code: Option<&'a str>,
    provider: Option<&'static str>,
    latency_ms: u64,
    kv_reads: u64,
    kv_writes: u64,
    do_calls: u64,
}

/// The time, in milliseconds since the Unix epoch (`Date.now()`: in a Worker, the
/// time of the last I/O).
fn now_ms() -> u64 {
    js_sys::Date::now() as u64
}

/// Workers `fetch`, every request carrying our `User-Agent`.
fn outbound(user_agent: &str) -> Identified<'_, transport::WorkersTransport> {
    Identified {
        inner: &transport::WorkersTransport,
        user_agent,
    }
}

/// 16 random bytes, base64url: an event's id.
fn event_id() -> String {
    let mut bytes = [0u8; 16];
    // Entropy that fails leaves zeros: the id is for de-duplication, not secrecy.
    let _ = GetRandom.fill(&mut bytes);
    crate::core::base64url::encode(&bytes)
}

/// The consumer of `EVENTS_QUEUE` (when `wrangler.toml` makes this worker one):
/// posts each event to `EVENTS_URL`, signed; a 2xx acknowledges it, anything else
/// (and every event while `EVENTS_URL` is unset) retries it after
/// [`events::retry_delay`] until the queue's `max_retries`. The runtime calls it as
/// the worker's `queue` handler; a broken configuration rejects the batch, which
/// the queue then delivers again.
#[wasm_bindgen(js_name = queue, wasm_bindgen = worker::wasm_bindgen)]
pub fn queue_handler(batch: queue::Batch, env: Env, _ctx: JsValue) -> Promise {
    promise(async move {
        consume_events(batch, env)
            .await
            .map(|()| JsValue::UNDEFINED)
    })
}

async fn consume_events(batch: queue::Batch, env: Env) -> Result<(), JsValue> {
    let config = config(&env).map_err(|e| {
        misconfigured(&e.to_string());
        JsValue::from_str("configuration")
    })?;
    let Some((url, secret)) = config.events.clone() else {
        // Kept, not dropped: they wait on the queue (then its dead-letter queue)
        // until EVENTS_URL is set or another consumer takes them.
        let detail =
            "EVENTS_QUEUE is consumed here but EVENTS_URL is not set: events retried in 10 minutes";
        log("warn", "events", detail, []);
        batch.retry_all(events::retry_delay(u64::MAX));
        return Ok(());
    };
    let transport = outbound(&config.user_agent);
    for message in batch.messages() {
        let now = now_ms();
        let body = js_sys::JSON::stringify(&message.body())
            .ok()
            .and_then(|text| text.as_string())
            .unwrap_or_default();
        let request = events::delivery(&url, &secret, body, now / 1000);
        match transport.fetch(&request, 3000).await {
            Ok(reply) if reply.succeeded() => message.ack(),
            failed => {
                let age = now.saturating_sub(message.sent_at()) / 1000;
                let delay = events::retry_delay(age);
                message.retry(delay);
                let status = failed.ok().map(|r| r.status);
                let extra = [("status", status.into()), ("delay_s", delay.into())];
                log("warn", "events", "event not accepted; retried", extra);
            }
        }
    }
    Ok(())
}

/// The worker's `fetch` handler, exported as the runtime calls it: worker's
/// `#[event(fetch)]` passes the request and the answer through its own `Request`
/// and `Response` (10 KB gzipped of a hello-world module).
#[wasm_bindgen(js_name = fetch, wasm_bindgen = worker::wasm_bindgen)]
pub fn fetch_handler(req: web_sys::Request, env: Env, ctx: Context) -> Promise {
    promise(async move { handle_fetch(req, env, ctx).await.map(JsValue::from) })
}

async fn handle_fetch(
    req: web_sys::Request,
    env: Env,
    ctx: Context,
) -> Result<web_sys::Response, JsValue> {
    let started = now_ms();
    let head = http::head_of(&req);
    let request_id = request_id(head.header("x-request-id"), &GetRandom);
    let counts = Rc::new(OpCounts::default());
    let events = RefCell::new(Vec::new());
    let result = serve(&req, &env, &head, &counts, &events).await;
    // The request's latency, read once: its events, its log line and its data point.
    let latency = now_ms().saturating_sub(started);
    post_events(&ctx, &env, events.into_inner(), latency);
    let route = Route::resolve(&head.method, &head.path).ok();
    let (mut response, outcome, reply) = match result {
        Ok(reply) => (
            reply_response(&reply, &request_id),
            reply.outcome,
            Some(reply),
        ),
        Err(error) => (
            api::render_error(route, &head.path, &error, &request_id),
            error.code(),
            None,
        ),
    };
    if let Ok(config) = config(&env) {
        let preflight = match route {
            Some(Route::Preflight { method }) => Some(method),
            _ => None,
        };
        config
            .cors
            .decorate(&mut response, head.header("origin"), preflight);
    }
    // One line per request: never the code, a token or a full destination. A
    // healthy health probe is the exception: its answer is its record, and a log
    // call costs a third of the request's CPU.
    let quiet = route == Some(Route::Health) && response.status == 200;
    if !quiet {
        let line = RequestLine {
            request_id: &request_id,
            method: &head.method,
            route: route.map_or("-", Route::name),
            status: response.status.into(),
            outcome,
            channel: reply.as_ref().and_then(|r| r.channel),
            calling_code: reply.as_ref().and_then(|r| r.calling_code.as_deref()),
            provider: reply.as_ref().and_then(|r| r.provider),
            latency_ms: latency,
            kv_reads: counts.kv_reads.get().into(),
            kv_writes: counts.kv_writes.get().into(),
            do_calls: counts.do_calls.get().into(),
        };
        console(&serde_json::to_string(&line).unwrap_or_default());
    }
    if let Some(dataset) = binding::<AnalyticsEngineDataset>(&env, ANALYTICS_BINDING) {
        let channel = reply
            .as_ref()
            .and_then(|r| r.channel)
            .map_or("", |c| c.as_str());
        let calling_code = reply
            .as_ref()
            .and_then(|r| r.calling_code.clone())
            .unwrap_or_default();
        let blobs = [
            route.map_or("-", Route::name),
            outcome,
            channel,
            &calling_code,
        ];
        let blobs: Array = blobs.iter().map(|blob| JsValue::from_str(blob)).collect();
        let index = Array::of1(&JsValue::from_str(outcome));
        let doubles = Array::of1(&JsValue::from_f64(latency as f64));
        let point = options(&[
            ("indexes", index.into()),
            ("blobs", blobs.into()),
            ("doubles", doubles.into()),
        ]);
        // A data point the runtime refuses is only a missing sample.
        let _ = dataset.write_data_point(point.into());
    }
    http::into_runtime(response)
}
