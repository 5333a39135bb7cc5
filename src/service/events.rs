//! Lifecycle events: what happened to a verification, for the operator to react to
//! (`verification.sent`, `.approved`, `.failed`, `.exhausted`, `.expired`,
//! `.blocked`, `delivery.failed`). An event never carries a code, a token or a full
//! destination: the masked destination and its state hash identify it.
//!
//! The use cases record events through [`crate::service::Platform::emit`]; after the
//! response (`waitUntil`, so an event never delays or fails the user's request) the
//! glue stamps each with an id and the request's latency, then either sends them to
//! the `EVENTS_QUEUE` Cloudflare Queue, whose consumer (the operator's worker, or
//! this one) posts each to `EVENTS_URL` and retries with backoff, or, with no
//! queue bound, posts them to `EVENTS_URL` directly. Posts are signed like the
//! webhook provider.

use crate::core::destination::{Channel, Destination};
use crate::core::purpose::Purpose;
use crate::delivery::provider::webhook::signed_post;
use crate::ports::OutboundRequest;
use crate::service::error::ApiError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Event {
    /// Unique per occurrence (random, base64url): deliveries are at least once, so
    /// a receiver drops an id it has seen.
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// The verification's jti (base64url), when known.
    pub verification: Option<String>,
    pub time: u64,
    pub channel: Option<Channel>,
    pub calling_code: Option<String>,
    /// Masked, as the API shows it.
    pub to: Option<String>,
    /// The destination's state hash (an HMAC: stable, not reversible).
    pub destination_hash: Option<String>,
    pub purpose: Option<Purpose>,
    pub client: String,
    /// What happened, in the API's words (`sent`, `suppressed`, an error code…).
    pub outcome: &'static str,
    pub provider: Option<&'static str>,
    /// How long the request that caused the event took until its response, in ms.
    pub latency_ms: Option<u64>,
}

impl Event {
    /// An event about `destination` (when it is known).
    pub fn about(
        kind: &'static str,
        outcome: &'static str,
        destination: Option<&Destination>,
        hash: Option<String>,
        now: u64,
    ) -> Event {
        Event {
            id: String::new(),
            kind,
            verification: None,
            time: now,
            channel: destination.map(Destination::channel),
            calling_code: destination.and_then(|d| d.calling_code().map(str::to_owned)),
            to: destination.map(Destination::masked),
            destination_hash: hash,
            purpose: None,
            client: String::new(),
            outcome,
            provider: None,
            latency_ms: None,
        }
    }

    /// The event of a send that was refused, if the refusal is one (a control said
    /// no, or no provider delivered); malformed requests are not events.
    pub fn of_refused_send(error: &ApiError) -> Option<&'static str> {
        match error {
            ApiError::RateLimited { .. }
            | ApiError::CaptchaRequired
            | ApiError::CaptchaInvalid
            | ApiError::DestinationNotAllowed
            | ApiError::SpendCeiling { .. }
            | ApiError::UserExists
            | ApiError::UserNotFound => Some("verification.blocked"),
            ApiError::DeliveryUnavailable { .. } => Some("delivery.failed"),
            _ => None,
        }
    }

    /// The event of a check that was not approved, if it is one.
    pub fn of_refused_check(error: &ApiError) -> Option<&'static str> {
        match error {
            ApiError::InvalidCode { .. } => Some("verification.failed"),
            ApiError::TooManyAttempts => Some("verification.exhausted"),
            ApiError::Expired => Some("verification.expired"),
            _ => None,
        }
    }

    /// The signed POST of this event to `url` (the webhook provider's scheme:
    /// `X-Edge-Otp-Signature: v1=hex(HMAC-SHA256(secret, timestamp "." body))`).
    pub fn request(&self, url: &str, secret: &[u8], now: u64) -> OutboundRequest {
        delivery(
            url,
            secret,
            serde_json::to_string(self).unwrap_or_default(),
            now,
        )
    }
}

/// The signed POST of an event's JSON `body` (as a queue consumer holds it).
pub fn delivery(url: &str, secret: &[u8], body: String, now: u64) -> OutboundRequest {
    signed_post(url, secret, body, now)
}

/// How long a queued event whose post failed waits before the next try: as long
/// as it has existed (so the waits double: 1 s, 2 s, 4 s…), within 1 s and 10
/// minutes. The queue's `max_retries` ends it.
pub fn retry_delay(age_seconds: u64) -> u32 {
    age_seconds.clamp(1, 600) as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_carry_no_code_token_or_full_destination() {
        let to = Destination::parse("+8613800138000").unwrap();
        let event = Event {
            verification: Some("AAAA".into()),
            purpose: Some(Purpose::Login),
            ..Event::about("verification.sent", "sent", Some(&to), Some("h".into()), 1)
        };
        let request = event.request("https://events.example", b"0123456789abcdef", 1);
        assert!(!request.body.contains("13800138000"), "{}", request.body);
        assert!(request.body.contains(r#""type":"verification.sent""#));
        assert!(request.body.contains(r#""to":"+86138****8000""#));
        assert_eq!(
            request.headers[2].1,
            crate::delivery::provider::webhook::signature(b"0123456789abcdef", 1, &request.body)
        );
        assert_eq!(
            Event::of_refused_check(&ApiError::TooManyAttempts),
            Some("verification.exhausted")
        );
        assert_eq!(Event::of_refused_send(&ApiError::InvalidEmail), None);
    }

    #[test]
    fn queued_retries_back_off() {
        // (seconds since the event was queued, wait before the next try)
        let cases = [(0, 1), (1, 1), (3, 3), (40, 40), (600, 600), (86_400, 600)];
        for (age, delay) in cases {
            assert_eq!(retry_delay(age), delay, "{age}");
        }
    }
}
