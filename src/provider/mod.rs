//! The provider boundary: a provider turns a [`Message`] into an outbound request
//! (pure), and classifies the reply (pure). The glue performs the request with a
//! timeout; nothing here does I/O.

pub mod webhook;

pub use webhook::Webhook;

use crate::message::Message;
use crate::ports::HttpReply;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

/// How a provider hands over one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dispatch {
    /// Print to the developer's console (the `log` provider).
    Console(String),
    Http(OutboundRequest),
}

/// What a provider's reply means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Delivered,
    /// The provider refuses this destination; another provider would too.
    Rejected,
    /// The provider failed; another provider (or a later try) may succeed.
    Retryable,
}

#[derive(Debug, Clone)]
pub enum Provider {
    /// Development default: prints each message to the console, code included.
    Log,
    Webhook(Webhook),
}

impl Provider {
    pub fn name(&self) -> &'static str {
        match self {
            Provider::Log => "log",
            Provider::Webhook(_) => "webhook",
        }
    }

    pub fn timeout_ms(&self) -> u32 {
        match self {
            Provider::Log => 0,
            Provider::Webhook(w) => w.timeout_ms,
        }
    }

    /// `now` stamps signatures; `Console` lines mask the destination.
    pub fn dispatch(&self, message: &Message, masked_to: &str, now: u64) -> Dispatch {
        match self {
            Provider::Log => Dispatch::Console(format!(
                "[edge-otp log provider] {} to {masked_to} ({}): {}{}",
                message.channel.as_str(),
                message.locale.as_str(),
                message
                    .subject
                    .as_deref()
                    .map(|s| format!("[{s}] "))
                    .unwrap_or_default(),
                message.text
            )),
            Provider::Webhook(webhook) => Dispatch::Http(webhook.request(message, now)),
        }
    }

    pub fn classify(&self, reply: &HttpReply) -> Verdict {
        match self {
            Provider::Log => Verdict::Delivered,
            Provider::Webhook(_) => webhook::classify(reply),
        }
    }
}
