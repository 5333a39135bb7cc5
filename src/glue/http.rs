//! The runtime's `Request` and `Response`, called as it defines them: the incoming
//! request read into a [`RequestHead`] and a body, our [`Response`] written back
//! into the runtime's. worker's `Request` and `Response` wrap the same objects, and
//! bring a body-stream adapter, header iterators and their conversions into the
//! module for what these few calls do.

use super::settled;
use crate::core::text;
use crate::service::error::ApiError;
use crate::surface::http::{RequestHead, Response, MAX_BODY};
use worker::js_sys::{Array, Promise, Reflect, Uint8Array};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::web_sys;

/// How much of an oversize body is read and thrown away (see [`read_body`]).
const DRAIN_LIMIT: usize = 1 << 20;

/// The path and query of a request URL (`https://host/path?query#fragment`), read
/// from the runtime's string: the `url` crate's parser would bring its IDNA tables
/// into the module for nothing (the runtime has already parsed the URL).
pub(super) fn path_and_query(url: &str) -> (String, String) {
    let after_scheme = text::without_scheme(url);
    let target = after_scheme.find('/').map_or("/", |at| &after_scheme[at..]);
    let target = target.split('#').next().unwrap_or("/");
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    (path.to_owned(), query.to_owned())
}

/// The method (as sent: not folded into a known set), path, query and headers
/// (names lower-cased) of an incoming request.
pub(super) fn head_of(req: &web_sys::Request) -> RequestHead {
    let (path, query) = path_and_query(&req.url());
    let mut headers = Vec::new();
    // `Headers` iterates as [name, value] pairs, names lower-cased by the runtime;
    // they are lower-cased here too, as the core's header lookups require. The
    // runtime lists them (`Array.from`), rather than js_sys driving the iterator
    // protocol from here (its `try_iter` and a JS call per step: 1.8 KB raw).
    let entries = Array::from(&req.headers());
    for i in 0..entries.length() {
        let pair: Array = entries.get(i).unchecked_into();
        if let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) {
            headers.push((name.to_ascii_lowercase(), value));
        }
    }
    RequestHead {
        method: req.method(),
        path,
        query,
        headers,
    }
}

/// One chunk of a body stream: `None` at its end.
async fn next_chunk(
    reader: &web_sys::ReadableStreamDefaultReader,
) -> Result<Option<Uint8Array>, JsValue> {
    let result = settled(Ok(reader.read())).await?;
    if Reflect::get(&result, &JsValue::from_str("done"))?.is_truthy() {
        return Ok(None);
    }
    Ok(Some(
        Reflect::get(&result, &JsValue::from_str("value"))?.unchecked_into(),
    ))
}

/// Reads at most [`MAX_BODY`] bytes; a longer body is refused without reading on.
/// What is left of it is read and thrown away, up to [`DRAIN_LIMIT`] bytes:
/// answering before a chunked body has been read leaves wrangler dev's local proxy
/// with a broken connection (the next request gets a 503 or hangs); past the limit
/// the stream is cancelled and the client is on its own.
pub(super) async fn read_body(req: &web_sys::Request) -> Result<Vec<u8>, ApiError> {
    let mut body = Vec::new();
    let Some(stream) = req.body() else {
        return Ok(body);
    };
    let unreadable = |_| ApiError::InvalidRequest {
        field: None,
        message: "The request body could not be read.",
    };
    let reader = web_sys::ReadableStreamDefaultReader::new(&stream).map_err(unreadable)?;
    while let Some(chunk) = next_chunk(&reader).await.map_err(unreadable)? {
        let length = chunk.length() as usize;
        if body.len() + length > MAX_BODY {
            let mut discarded = length;
            while let Ok(Some(chunk)) = next_chunk(&reader).await {
                discarded += chunk.length() as usize;
                if discarded > DRAIN_LIMIT {
                    let _ = reader.cancel();
                    break;
                }
            }
            return Err(ApiError::PayloadTooLarge);
        }
        let at = body.len();
        body.resize(at + length, 0);
        chunk.copy_to(&mut body[at..]);
    }
    Ok(body)
}

/// `headers` as the runtime's `Headers`; `None` for none.
pub(super) fn header_list(
    headers: &[(String, String)],
) -> Result<Option<web_sys::Headers>, JsValue> {
    if headers.is_empty() {
        return Ok(None);
    }
    let list = web_sys::Headers::new()?;
    for (name, value) in headers {
        list.set(name, value)?;
    }
    Ok(Some(list))
}

/// `status` and `headers` as the runtime's `ResponseInit`.
pub(super) fn init(
    status: u16,
    headers: &[(String, String)],
) -> Result<web_sys::ResponseInit, JsValue> {
    let init = web_sys::ResponseInit::new();
    init.set_status(status);
    if let Some(list) = header_list(headers)? {
        init.set_headers(&list);
    }
    Ok(init)
}

/// Our response as the runtime's: an empty body is no body (a 204 may not have one).
pub(super) fn into_runtime(response: Response) -> Result<web_sys::Response, JsValue> {
    let init = init(response.status, &response.headers)?;
    let mut body = response.body.into_bytes();
    let body = (!body.is_empty()).then_some(body.as_mut_slice());
    web_sys::Response::new_with_opt_u8_array_and_init(body, &init)
}

/// The text a body's `text()` call settles to: `http::text(response.text())` for
/// fetch's and the object's answers, `http::text(request.text())` for a state op.
pub(super) async fn text(call: Result<Promise, JsValue>) -> Result<String, JsValue> {
    settled(call)
        .await?
        .as_string()
        .ok_or_else(|| JsValue::from_str("the body is not text"))
}
