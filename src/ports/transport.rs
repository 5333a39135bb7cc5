//! The transport port: outbound HTTP requests (providers, Turnstile, the user
//! directory) with a timeout, the developer's console, and waiting before a retry.
//! The glue implements it with `fetch`; tests record and script it.

/// One HTTP request to the outside, built by a pure function (a provider, the
/// captcha or directory client) and performed by [`Transport::fetch`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundRequest {
    pub method: &'static str,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
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
