//! Provider requests through Workers `fetch`, raced against a timer: a provider
//! that does not answer (headers and body) within its timeout is aborted.

use crate::ports::OutboundRequest;
use crate::ports::{HttpReply, Transport, TransportError};
use std::future::{poll_fn, Future};
use std::pin::pin;
use std::task::Poll;
use std::time::Duration;
use worker::{web_sys, AbortController, Delay, Fetch, Request};

pub struct WorkersTransport;

/// `Some(output)` if `future` finishes within `ms`, else `None`.
async fn within<F: Future>(future: F, ms: u32) -> Option<F::Output> {
    let mut future = pin!(future);
    let mut timer = pin!(Delay::from(Duration::from_millis(u64::from(ms))));
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

/// A request built on the runtime's own `Request`: `worker`'s `RequestInit` carries
/// a `cf` object whose conversion alone is ~11 KB of wasm.
pub fn request(
    method: &str,
    url: &str,
    headers: &[(String, String)],
    body: &str,
) -> Result<Request, wasm_bindgen::JsValue> {
    let init = web_sys::RequestInit::new();
    init.set_method(method);
    if !headers.is_empty() {
        let list = web_sys::Headers::new()?;
        for (name, value) in headers {
            list.set(name, value)?;
        }
        init.set_headers(&list);
    }
    if !body.is_empty() {
        init.set_body(&wasm_bindgen::JsValue::from_str(body));
    }
    web_sys::Request::new_with_str_and_init(url, &init).map(Request::from)
}

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
        let controller = AbortController::default();
        let signal = controller.signal();
        let exchange = async {
            let mut response = Fetch::Request(outbound).send_with_signal(&signal).await?;
            let body = response.text().await?;
            Ok::<_, worker::Error>(HttpReply {
                status: response.status_code(),
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
        worker::Date::now().as_millis()
    }

    fn console(&self, line: &str) {
        web_sys::console::log_1(&line.into());
    }

    async fn sleep(&self, ms: u32) {
        Delay::from(Duration::from_millis(u64::from(ms))).await;
    }
}
