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

    /// A 2xx answer.
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
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

    /// Milliseconds since the epoch, to time deliveries (the fakes of the tests
    /// need no clock: they answer 0).
    fn millis(&self) -> u64 {
        0
    }
}

/// A transport that names us on every request: `User-Agent` unless the request
/// sets its own. Vendors and Cloudflare-fronted APIs refuse requests without one
/// (Resend answers 403, error 1010), and a Worker's `fetch` sends none.
pub struct Identified<'a, T> {
    pub inner: &'a T,
    pub user_agent: &'a str,
}

impl<T: Transport> Transport for Identified<'_, T> {
    async fn fetch(
        &self,
        request: &OutboundRequest,
        timeout_ms: u32,
    ) -> Result<HttpReply, TransportError> {
        if request
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("user-agent"))
        {
            return self.inner.fetch(request, timeout_ms).await;
        }
        let mut named = request.clone();
        named
            .headers
            .push(("user-agent".to_owned(), self.user_agent.to_owned()));
        self.inner.fetch(&named, timeout_ms).await
    }

    fn console(&self, line: &str) {
        self.inner.console(line)
    }

    async fn sleep(&self, ms: u32) {
        self.inner.sleep(ms).await
    }

    fn millis(&self) -> u64 {
        self.inner.millis()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::kv::memory::block_on;
    use std::cell::RefCell;

    #[derive(Default)]
    struct Seen(RefCell<Vec<OutboundRequest>>);

    impl Transport for Seen {
        async fn fetch(&self, r: &OutboundRequest, _: u32) -> Result<HttpReply, TransportError> {
            self.0.borrow_mut().push(r.clone());
            Ok(HttpReply::new(200, ""))
        }
        fn console(&self, _: &str) {}
        async fn sleep(&self, _: u32) {}
    }

    #[test]
    fn every_request_carries_a_user_agent() {
        let seen = Seen::default();
        let named = Identified {
            inner: &seen,
            user_agent: "edge-otp/1.2.3",
        };
        let request = |headers: Vec<(String, String)>| OutboundRequest {
            method: "POST",
            url: "https://api.example/x".into(),
            headers,
            body: String::new(),
        };
        block_on(named.fetch(&request(vec![]), 100)).unwrap();
        let own = vec![("User-Agent".to_owned(), "vendor-sdk/9".to_owned())];
        block_on(named.fetch(&request(own.clone()), 100)).unwrap();
        let seen = seen.0.borrow();
        assert_eq!(
            seen[0].headers,
            [("user-agent".to_owned(), "edge-otp/1.2.3".to_owned())]
        );
        assert_eq!(seen[1].headers, own, "a request's own agent is kept");
    }
}
