//! The `webhook` provider: a signed JSON POST of the message to the app's own URL.
//!
//! Headers: `X-Edge-Otp-Timestamp: <unix seconds>` and
//! `X-Edge-Otp-Signature: v1=<hex HMAC-SHA256(secret, timestamp "." body)>`.
//! Receivers recompute the HMAC over the raw body, compare in constant time and
//! refuse timestamps more than a few minutes old (replay window).
//! Reply: any 2xx is delivered; 422 means "this destination cannot be reached"
//! (rejected); anything else, a timeout or a network error is retryable.

use super::Verdict;
use crate::core::hex;
use crate::core::json::object;
use crate::core::keys::HmacSha256;
use crate::core::text;
use crate::delivery::message::Message;
use crate::ports::HttpReply;
use crate::ports::OutboundRequest;
use hmac::Mac;

#[derive(Clone)]
pub struct Webhook {
    pub url: String,
    pub secret: Vec<u8>,
    pub timeout_ms: u32,
}

impl std::fmt::Debug for Webhook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Webhook")
            .field("url", &self.url)
            .field("timeout_ms", &self.timeout_ms)
            .finish_non_exhaustive()
    }
}

/// `v1=` + hex HMAC-SHA256 of `"{timestamp}.{body}"`.
pub fn signature(secret: &[u8], timestamp: u64, body: &str) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("any key length");
    mac.update(text::decimal(timestamp).as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    format!("v1={}", hex::encode(&mac.finalize().into_bytes()))
}

/// A JSON POST signed with this scheme: webhook deliveries, the user directory's
/// callback and lifecycle events all go out this way.
pub fn signed_post(url: &str, secret: &[u8], body: String, now: u64) -> OutboundRequest {
    OutboundRequest {
        method: "POST",
        url: url.to_owned(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-edge-otp-timestamp".into(), text::decimal(now)),
            ("x-edge-otp-signature".into(), signature(secret, now, &body)),
        ],
        body,
    }
}

impl Webhook {
    pub fn request(&self, message: &Message, now: u64) -> OutboundRequest {
        let body = serde_json::to_string(&object([
            ("channel", message.channel.as_str().into()),
            ("to", message.to.as_str().into()),
            ("subject", message.subject.as_deref().into()),
            ("body", message.text.as_str().into()),
            ("html", message.html.as_deref().into()),
            ("code", message.code.as_str().into()),
            ("purpose", message.purpose.as_str().into()),
            ("locale", message.locale.as_str().into()),
            ("jti", message.jti.as_str().into()),
        ]))
        .unwrap_or_default();
        signed_post(&self.url, &self.secret, body, now)
    }
}

pub fn classify(reply: &HttpReply) -> Verdict {
    match reply.status {
        200..=299 => Verdict::Delivered,
        422 => Verdict::Rejected,
        _ => Verdict::Retryable,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::provider::tests::sample;
    use serde_json::json;

    #[test]
    fn exact_request() {
        let webhook = Webhook {
            url: "https://hooks.example/otp".into(),
            secret: b"whsec-test".to_vec(),
            timeout_ms: 3000,
        };
        let message = sample("+8613800138000");
        let request = webhook.request(&message, 1_700_000_000);
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://hooks.example/otp");
        let body: serde_json::Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(
            body,
            json!({"channel": "sms", "to": "+8613800138000", "subject": null, "html": null,
                   "body": "Acme: 123456 is your sign-in code. It expires in 10 minutes. Do not share it with anyone.",
                   "code": "123456", "purpose": "login", "locale": "en-US",
                   "jti": "BwcHBwcHBwcHBwcHBwcHBw"})
        );
        let header = |name: &str| {
            request
                .headers
                .iter()
                .find(|(n, _)| n == name)
                .map(|(_, v)| v.clone())
        };
        assert_eq!(
            header("x-edge-otp-timestamp").as_deref(),
            Some("1700000000")
        );
        // The header signs exactly the body that is sent.
        let expected = signature(b"whsec-test", 1_700_000_000, &request.body);
        assert_eq!(header("x-edge-otp-signature"), Some(expected));
        // Pinned with Python: hmac.new(b"key", b"1.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            signature(b"key", 1, "{}"),
            "v1=1ba6b8171186efc613e8bcc0cbdab2748f24984d7c5a84faa2637afa0e40d224"
        );
    }

    #[test]
    fn classification() {
        let cases = [
            (200, Verdict::Delivered),
            (204, Verdict::Delivered),
            (422, Verdict::Rejected),
            (400, Verdict::Retryable),
            (401, Verdict::Retryable),
            (429, Verdict::Retryable),
            (500, Verdict::Retryable),
            (503, Verdict::Retryable),
        ];
        for (status, verdict) in cases {
            let reply = HttpReply {
                status,
                body: String::new(),
            };
            assert_eq!(classify(&reply), verdict, "{status}");
        }
    }
}
