//! A successful answer of any surface (native or dialect) and its rendering into a
//! response: shared by the native API and the dialects, so neither imports the other.

use crate::core::destination::Channel;
use crate::core::json::Value;
use crate::service::SendOutcome;
use crate::surface::http::{self, Response};
use std::borrow::Cow;

/// A successful answer, plus what the request log may say about it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub outcome: &'static str,
    pub channel: Option<Channel>,
    pub calling_code: Option<String>,
    pub provider: Option<&'static str>,
    /// Extra response headers (a dialect's `Retry-After`).
    pub headers: Vec<(&'static str, String)>,
    /// A body that is not JSON: its media type and text (the page, the document,
    /// which is served from the binary without a copy into the reply).
    pub document: Option<(&'static str, Cow<'static, str>)>,
}

impl Reply {
    /// The reply to a send, in any dialect's `body`: the log learns the channel,
    /// calling code and provider, and whether the message went out or was withheld
    /// (enumeration protection).
    pub fn for_send(sent: &SendOutcome, status: u16, body: Value) -> Reply {
        let outcome = sent.outcome();
        Reply {
            channel: Some(sent.destination.channel()),
            calling_code: sent.destination.calling_code().map(str::to_owned),
            provider: sent.provider,
            ..Reply::plain(status, body, outcome)
        }
    }

    /// A reply with nothing for the log beyond its outcome.
    pub fn plain(status: u16, body: Value, outcome: &'static str) -> Reply {
        Reply {
            status,
            body,
            outcome,
            channel: None,
            calling_code: None,
            provider: None,
            headers: Vec::new(),
            document: None,
        }
    }
}

/// The response for a reply: its status, JSON body (none for `null`) and headers.
pub fn reply_response(reply: &Reply, request_id: &str) -> Response {
    let mut response = match &reply.document {
        Some((media_type, text)) => {
            http::document_response(reply.status, media_type, text, request_id)
        }
        None => http::json_response(reply.status, &reply.body, request_id),
    };
    for (name, value) in &reply.headers {
        response.headers.push(((*name).to_owned(), value.clone()));
    }
    response
}
