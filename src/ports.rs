//! The ports through which the core reaches the world. The glue implements them on
//! Workers (getrandom, `fetch`, `console.log`); tests implement them in memory.
//! Futures here are not `Send`: Workers run one request on one thread.

use crate::provider::OutboundRequest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntropyError;

/// Cryptographically secure random bytes.
pub trait Entropy {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError>;
}

/// What came back from a provider's HTTP API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpReply {
    pub status: u16,
    pub body: String,
}

impl HttpReply {
    pub fn new(status: u16, body: &str) -> HttpReply {
        HttpReply {
            status,
            body: body.to_owned(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransportError {
    Timeout,
    Network,
}

/// Performs provider requests, bounded by a timeout, and prints to the console.
#[allow(async_fn_in_trait)]
pub trait Transport {
    async fn fetch(
        &self,
        request: &OutboundRequest,
        timeout_ms: u32,
    ) -> Result<HttpReply, TransportError>;

    /// The `log` provider's output: the developer's console.
    fn console(&self, line: &str);

    /// Waits before a retry.
    async fn sleep(&self, ms: u32);
}
