//! Twilio Programmable Messaging: `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`,
//! HTTP Basic `AccountSid:AuthToken`, form-encoded `To`, `From` (or
//! `MessagingServiceSid`) and `Body`. Success is 201 with the message resource;
//! errors are `{"code", "message", "more_info", "status"}` (Twilio error
//! dictionary: 21211 invalid 'To' number, 21614 not a mobile number, 21610
//! unsubscribed recipient, 21612 cannot route, 20003 authentication).

use super::Verdict;
use crate::core::json::Value;
use crate::core::percent::form_urlencode;
use crate::delivery::message::Message;
use crate::ports::HttpReply;
use crate::ports::OutboundRequest;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

pub const BASE_URL: &str = "https://api.twilio.com";

#[derive(Clone)]
pub struct Twilio {
    pub base_url: String,
    pub account_sid: String,
    pub auth_token: String,
    /// A sender number (`+1…`) or a Messaging Service (`MG…`).
    pub sender: String,
    pub timeout_ms: u32,
}

impl std::fmt::Debug for Twilio {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Twilio")
            .field("account_sid", &self.account_sid)
            .finish_non_exhaustive()
    }
}

impl Twilio {
    pub fn request(&self, message: &Message) -> OutboundRequest {
        let sender_field = if self.sender.starts_with("MG") {
            "MessagingServiceSid"
        } else {
            "From"
        };
        let credentials = STANDARD.encode(format!("{}:{}", self.account_sid, self.auth_token));
        OutboundRequest {
            method: "POST",
            url: format!(
                "{}/2010-04-01/Accounts/{}/Messages.json",
                self.base_url, self.account_sid
            ),
            headers: vec![
                ("authorization".into(), format!("Basic {credentials}")),
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
            ],
            body: form_urlencode(&[
                ("To", &message.to),
                (sender_field, &self.sender),
                ("Body", &message.text),
            ]),
        }
    }
}

/// Errors about the recipient itself: another provider would fail the same way.
const RECIPIENT_ERRORS: [u64; 5] = [21211, 21217, 21610, 21612, 21614];

pub fn classify(reply: &HttpReply) -> Verdict {
    match reply.status {
        200..=299 => Verdict::Delivered,
        429 | 500..=599 => Verdict::Retryable,
        _ => {
            let code = serde_json::from_str::<Value>(&reply.body)
                .ok()
                .and_then(|v| v.get("code").and_then(Value::as_u64));
            match code {
                Some(code) if RECIPIENT_ERRORS.contains(&code) => Verdict::Rejected,
                _ => Verdict::Failed,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::provider::tests::sample;

    fn twilio(sender: &str) -> Twilio {
        Twilio {
            base_url: BASE_URL.into(),
            account_sid: "ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX".into(),
            auth_token: "your_auth_token".into(),
            sender: sender.into(),
            timeout_ms: 3000,
        }
    }

    #[test]
    fn exact_request() {
        let request = twilio("+15557122661").request(&sample("+14155550100"));
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.url,
            "https://api.twilio.com/2010-04-01/Accounts/ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX/Messages.json"
        );
        assert_eq!(
            request.headers,
            vec![
                (
                    "authorization".to_owned(),
                    format!(
                        "Basic {}",
                        STANDARD.encode("ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX:your_auth_token")
                    )
                ),
                (
                    "content-type".to_owned(),
                    "application/x-www-form-urlencoded".to_owned()
                ),
            ]
        );
        assert_eq!(
            request.body,
            "To=%2B14155550100&From=%2B15557122661&Body=Acme%3A%20123456%20is%20your%20sign-in%20code.%20It%20expires%20in%2010%20minutes.%20Do%20not%20share%20it%20with%20anyone."
        );
        let service = twilio("MGXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX").request(&sample("+14155550100"));
        assert!(service
            .body
            .contains("&MessagingServiceSid=MGXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX&"));
    }

    #[test]
    fn classification_of_documented_replies() {
        let reply = HttpReply::new;
        let cases = [
            (
                201,
                r#"{"account_sid":"ACXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","body":"Hi","status":"queued","sid":"SMXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX","error_code":null}"#,
                Verdict::Delivered,
            ),
            (
                400,
                r#"{"code": 21211, "message": "The 'To' number 5551234567 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#,
                Verdict::Rejected,
            ),
            (
                400,
                r#"{"code": 21614, "message": "'To' number is not a valid mobile number", "more_info": "https://www.twilio.com/docs/errors/21614", "status": 400}"#,
                Verdict::Rejected,
            ),
            (
                400,
                r#"{"code": 21610, "message": "Attempt to send to unsubscribed recipient", "more_info": "https://www.twilio.com/docs/errors/21610", "status": 400}"#,
                Verdict::Rejected,
            ),
            (
                400,
                r#"{"code": 21606, "message": "The From phone number provided is not a valid, SMS-capable inbound phone number for your account.", "status": 400}"#,
                Verdict::Failed,
            ),
            (
                401,
                r#"{"code": 20003, "message": "Authenticate", "more_info": "https://www.twilio.com/docs/errors/20003", "status": 401}"#,
                Verdict::Failed,
            ),
            (
                429,
                r#"{"code": 20429, "message": "Too Many Requests", "status": 429}"#,
                Verdict::Retryable,
            ),
            (503, "", Verdict::Retryable),
        ];
        for (status, body, verdict) in cases {
            assert_eq!(classify(&reply(status, body)), verdict, "{status} {body}");
        }
    }
}
