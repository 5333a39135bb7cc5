//! Vonage SMS API: `POST https://rest.nexmo.com/sms/json`, form-encoded `api_key`,
//! `api_secret`, `from`, `to` (E.164 without `+`), `text`, and `type=unicode` for
//! text outside ASCII. It answers 200 even when sending failed: the verdict is in
//! `messages[0].status` ("0" success; 1 throttled, 5 internal error: retry; 6
//! invalid message / unrecognised prefix, 7 number barred: the destination; other
//! codes are account or request problems).

use super::Verdict;
use crate::core::json::Value;
use crate::core::percent::form_urlencode;
use crate::delivery::message::Message;
use crate::ports::HttpReply;
use crate::ports::OutboundRequest;

pub const BASE_URL: &str = "https://rest.nexmo.com";

#[derive(Clone)]
pub struct Vonage {
    pub base_url: String,
    pub api_key: String,
    pub api_secret: String,
    /// Sender number or alphanumeric sender id.
    pub from: String,
    pub timeout_ms: u32,
}

impl std::fmt::Debug for Vonage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Vonage")
            .field("api_key", &self.api_key)
            .finish_non_exhaustive()
    }
}

impl Vonage {
    pub fn request(&self, message: &Message) -> OutboundRequest {
        let to = message.to.trim_start_matches('+');
        let mut fields = vec![
            ("api_key", self.api_key.as_str()),
            ("api_secret", self.api_secret.as_str()),
            ("from", self.from.as_str()),
            ("to", to),
            ("text", message.text.as_str()),
        ];
        if !message.text.is_ascii() {
            fields.push(("type", "unicode"));
        }
        OutboundRequest {
            method: "POST",
            url: format!("{}/sms/json", self.base_url),
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: form_urlencode(&fields),
        }
    }
}

pub fn classify(reply: &HttpReply) -> Verdict {
    match reply.status {
        200 => {}
        429 | 500..=599 => return Verdict::Retryable,
        _ => return Verdict::Failed,
    }
    let status = serde_json::from_str::<Value>(&reply.body)
        .ok()
        .and_then(|v| v["messages"][0].get("status")?.as_str().map(str::to_owned));
    match status.as_deref() {
        Some("0") => Verdict::Delivered,
        Some("1" | "5") => Verdict::Retryable,
        Some("6" | "7") => Verdict::Rejected,
        _ => Verdict::Failed,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::provider::tests::sample;

    fn vonage() -> Vonage {
        Vonage {
            base_url: BASE_URL.into(),
            api_key: "abcd1234".into(),
            api_secret: "abcdef0123456789".into(),
            from: "Acme".into(),
            timeout_ms: 3000,
        }
    }

    #[test]
    fn exact_request() {
        let request = vonage().request(&sample("+447700900000"));
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, "https://rest.nexmo.com/sms/json");
        assert_eq!(
            request.headers,
            vec![(
                "content-type".to_owned(),
                "application/x-www-form-urlencoded".to_owned()
            )]
        );
        assert_eq!(
            request.body,
            "api_key=abcd1234&api_secret=abcdef0123456789&from=Acme&to=447700900000&text=Acme%3A%20123456%20is%20your%20sign-in%20code.%20It%20expires%20in%2010%20minutes.%20Do%20not%20share%20it%20with%20anyone."
        );
        let mut chinese = sample("+8613800138000");
        chinese.text = "【Acme】您的登录验证码是123456".into();
        assert!(vonage().request(&chinese).body.ends_with("&type=unicode"));
    }

    #[test]
    fn classification_of_documented_replies() {
        let reply = HttpReply::new;
        let message = |status: &str, extra: &str| {
            format!(
                r#"{{"message-count": "1", "messages": [{{"to": "447700900000", "status": "{status}"{extra}}}]}}"#
            )
        };
        let cases = [
            (
                200,
                message(
                    "0",
                    r#", "message-id": "0C000000217B7F02", "remaining-balance": "15.53590000", "message-price": "0.03330000", "network": "23410""#,
                ),
                Verdict::Delivered,
            ),
            (
                200,
                message("1", r#", "error-text": "Throttled""#),
                Verdict::Retryable,
            ),
            (
                200,
                message("5", r#", "error-text": "Internal Error""#),
                Verdict::Retryable,
            ),
            (
                200,
                message("6", r#", "error-text": "Invalid Message""#),
                Verdict::Rejected,
            ),
            (
                200,
                message("7", r#", "error-text": "Number Barred""#),
                Verdict::Rejected,
            ),
            (
                200,
                message("4", r#", "error-text": "Invalid Credentials""#),
                Verdict::Failed,
            ),
            (
                200,
                message("9", r#", "error-text": "Partner Quota Violation""#),
                Verdict::Failed,
            ),
            (200, "{}".to_owned(), Verdict::Failed),
            (500, String::new(), Verdict::Retryable),
            (401, String::new(), Verdict::Failed),
        ];
        for (status, body, verdict) in cases {
            assert_eq!(classify(&reply(status, &body)), verdict, "{status} {body}");
        }
    }
}
