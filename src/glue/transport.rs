//! Provider requests through the runtime's `fetch`, raced against a timer: a
//! provider that does not answer (headers and body) within its timeout is aborted.
//! Called as the runtime defines them: worker's `Fetch` and `Delay` wrap the same
//! calls in its `Request`, `Response` and error types.

use super::{http, options, settled};
use crate::ports::OutboundRequest;
use crate::ports::{HttpReply, Transport, TransportError};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use worker::js_sys::{Function, Object, Promise};
use worker::wasm_bindgen::{self, prelude::wasm_bindgen, JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys;

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_name = fetch, catch)]
    fn runtime_fetch(request: &web_sys::Request, init: &Object) -> Result<Promise, JsValue>;

    #[wasm_bindgen(js_name = setTimeout)]
    fn set_timeout(callback: &Function, ms: u32) -> JsValue;

    #[wasm_bindgen(js_name = clearTimeout)]
    fn clear_timeout(id: &JsValue);
}

/// A timer that settles `ms` from now; dropped early, it is cleared.
struct Timer {
    id: JsValue,
    settled: JsFuture,
}

impl Timer {
    fn new(ms: u32) -> Timer {
        let mut id = JsValue::UNDEFINED;
        let promise = Promise::new(&mut |resolve, _| id = set_timeout(&resolve, ms));
        Timer {
            id,
            settled: JsFuture::from(promise),
        }
    }
}

impl Future for Timer {
    type Output = ();

    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context) -> Poll<()> {
        match std::pin::Pin::new(&mut self.settled).poll(cx) {
            Poll::Ready(_) => {
                self.id = JsValue::UNDEFINED;
                Poll::Ready(())
            }
            Poll::Pending => Poll::Pending,
        }
    }
}

impl Drop for Timer {
    fn drop(&mut self) {
        if !self.id.is_undefined() {
            clear_timeout(&self.id);
        }
    }
}

/// `Some(output)` if `future` finishes within `ms`, else `None`.
async fn within<F: Future>(future: F, ms: u32) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut timer = pin!(Timer::new(ms));
    poll_fn(|cx| {
        if let Poll::Ready(output) = future.as_mut().poll(cx) {
            return Poll::Ready(Some(output));
        }
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(None),
            Poll::Pending => Poll::Pending,
        }
    })
    .await
}

/// A request as the runtime's `Request` (worker's `RequestInit` carries a `cf`
/// object whose conversion alone is ~11 KB of wasm).
pub fn request(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &str,
) -> Result<web_sys::Request, JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if let Some(list) = http::header_list(headers)? {
        init.set_headers(&list);
    }
    if !body.is_empty() {
        init.set_body(&JsValue::from_str(body));
    }
    web_sys::Request::new_with_str_and_init(url, &init)
}

pub struct WorkersTransport;

impl Transport for WorkersTransport {
    async fn fetch(
        &self,
        request: &OutboundRequest,
        timeout_ms: u32,
    ) -> Result<HttpReply, TransportError> {
        let outbound = self::request(
            request.method,
            &request.url,
            &request.headers,
            &request.body,
        )
        .map_err(|_| TransportError::Network)?;
        let controller = web_sys::AbortController::new().map_err(|_| TransportError::Network)?;
        let exchange = async {
            let init = options(&[("signal", controller.signal().into())]);
            let response: web_sys::Response = settled(runtime_fetch(&outbound, &init))
                .await?
                .unchecked_into();
            let body = http::text(response.text()).await?;
            Ok::<_, JsValue>(HttpReply {
                status: response.status(),
                body,
            })
        };
        match within(exchange, timeout_ms).await {
            Some(Ok(reply)) => Ok(reply),
            Some(Err(_)) => Err(TransportError::Network),
            None => {
                controller.abort();
                Err(TransportError::Timeout)
            }
        }
    }

    fn millis(&self) -> u64 {
        super::now_ms()
    }

    fn console(&self, line: &str) {
        web_sys::console::log_1(&line.into());
    }

    async fn sleep(&self, ms: u32) {
        Timer::new(ms).await;
    }
}
