//! The email vendors: Resend, SendGrid v3, Postmark and Mailgun. Each takes the
//! message's subject, text and HTML parts from a validated sender (`EMAIL_FROM`).
//! Header injection is impossible by construction: the sender is checked at start-up,
//! the subject is built from fixed words and the (checked) app name, and the
//! recipient is a normalised address.

use super::Verdict;
use crate::core::destination::Destination;
use crate::core::json::object;
use crate::core::json::Value;
use crate::core::percent::form_urlencode;
use crate::core::text;
use crate::delivery::message::Message;
use crate::ports::HttpReply;
use crate::ports::OutboundRequest;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;

/// `EMAIL_FROM`: `no-reply@example.com` or `Acme <no-reply@example.com>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sender {
    pub name: Option<String>,
    pub address: String,
}

impl Sender {
    pub fn parse(text: &str) -> Option<Sender> {
        if text.chars().any(|c| c.is_control() || c == '"') {
            return None;
        }
        let (name, address) = match text.trim().strip_suffix('>') {
            Some(rest) => {
                let (name, address) = text::rsplit_once(rest, "<")?;
                (
                    Some(name.trim().to_owned()).filter(|n| !n.is_empty()),
                    address,
                )
            }
            None => (None, text.trim()),
        };
        let address = Destination::parse(address).ok()?;
        address.calling_code().is_none().then(|| Sender {
            name,
            address: address.as_str().to_owned(),
        })
    }

    pub fn display(&self) -> String {
        match &self.name {
            Some(name) => format!("{name} <{}>", self.address),
            None => self.address.clone(),
        }
    }
}

fn parts(message: &Message) -> (&str, &str, &str) {
    (
        message.subject.as_deref().unwrap_or_default(),
        message.text.as_str(),
        message.html.as_deref().unwrap_or_default(),
    )
}

fn json_body(reply: &HttpReply) -> Value {
    serde_json::from_str(&reply.body).unwrap_or(Value::Null)
}

/// Transient failures every vendor shares.
fn transient(status: u16) -> bool {
    status == 429 || status >= 500
}

/// Resend: `POST /emails`, Bearer key, JSON; 200 `{"id"}`; errors
/// `{"statusCode", "message", "name"}` (422 `validation_error` names the bad field).
pub mod resend {
    use super::*;

    pub const BASE_URL: &str = "https://api.resend.com";

    pub fn request(
        base_url: &str,
        api_key: &str,
        from: &Sender,
        message: &Message,
    ) -> OutboundRequest {
        let (subject, text, html) = parts(message);
        OutboundRequest {
            method: "POST",
            url: format!("{base_url}/emails"),
            headers: vec![
                ("authorization".into(), format!("Bearer {api_key}")),
                ("content-type".into(), "application/json".into()),
            ],
            body: serde_json::to_string(&object([
                ("from", from.display().into()),
                ("to", Value::Array(vec![message.to.as_str().into()])),
                ("subject", subject.into()),
                ("text", text.into()),
                ("html", html.into()),
            ]))
            .unwrap_or_default(),
        }
    }

    pub fn classify(reply: &HttpReply) -> Verdict {
        let body = json_body(reply);
        match reply.status {
            200..=299 => Verdict::Delivered,
            s if transient(s) => Verdict::Retryable,
            422 if body["name"] == "validation_error"
                && body["message"]
                    .as_str()
                    .is_some_and(|m| text::contains(m, "`to`")) =>
            {
                Verdict::Rejected
            }
            _ => Verdict::Failed,
        }
    }
}

/// SendGrid v3: `POST /v3/mail/send`, Bearer key, JSON with personalizations;
/// 202 with no body; errors `{"errors": [{"message", "field", "help"}]}`.
pub mod sendgrid {
    use super::*;

    pub const BASE_URL: &str = "https://api.sendgrid.com";
    pub const EU_BASE_URL: &str = "https://api.eu.sendgrid.com";

    pub fn request(
        base_url: &str,
        api_key: &str,
        from: &Sender,
        message: &Message,
    ) -> OutboundRequest {
        let (subject, text, html) = parts(message);
        let sender = match &from.name {
            Some(name) => object([
                ("email", from.address.as_str().into()),
                ("name", name.as_str().into()),
            ]),
            None => object([("email", from.address.as_str().into())]),
        };
        let to = object([("email", message.to.as_str().into())]);
        let content =
            |kind: &str, value: &str| object([("type", kind.into()), ("value", value.into())]);
        OutboundRequest {
            method: "POST",
            url: format!("{base_url}/v3/mail/send"),
            headers: vec![
                ("authorization".into(), format!("Bearer {api_key}")),
                ("content-type".into(), "application/json".into()),
            ],
            body: serde_json::to_string(&object([
                (
                    "personalizations",
                    Value::Array(vec![object([("to", Value::Array(vec![to]))])]),
                ),
                ("from", sender),
                ("subject", subject.into()),
                (
                    "content",
                    Value::Array(vec![
                        content("text/plain", text),
                        content("text/html", html),
                    ]),
                ),
            ]))
            .unwrap_or_default(),
        }
    }

    pub fn classify(reply: &HttpReply) -> Verdict {
        let body = json_body(reply);
        let recipient_error = body["errors"].as_array().is_some_and(|errors| {
            errors.iter().any(|e| {
                e["field"]
                    .as_str()
                    .is_some_and(|f| f.starts_with("personalizations") && text::contains(f, ".to."))
            })
        });
        match reply.status {
            200..=299 => Verdict::Delivered,
            s if transient(s) => Verdict::Retryable,
            400 if recipient_error => Verdict::Rejected,
            _ => Verdict::Failed,
        }
    }
}

/// Postmark: `POST /email`, `X-Postmark-Server-Token`, JSON; 200 with
/// `"ErrorCode": 0`; 422 with `ErrorCode` 300 (invalid request, e.g. the `To`
/// address) or 406 (inactive recipient).
pub mod postmark {
    use super::*;

    pub const BASE_URL: &str = "https://api.postmarkapp.com";

    pub fn request(
        base_url: &str,
        token: &str,
        stream: &str,
        from: &Sender,
        message: &Message,
    ) -> OutboundRequest {
        let (subject, text, html) = parts(message);
        OutboundRequest {
            method: "POST",
            url: format!("{base_url}/email"),
            headers: vec![
                ("accept".into(), "application/json".into()),
                ("content-type".into(), "application/json".into()),
                ("x-postmark-server-token".into(), token.to_owned()),
            ],
            body: serde_json::to_string(&object([
                ("From", from.display().into()),
                ("To", message.to.as_str().into()),
                ("Subject", subject.into()),
                ("TextBody", text.into()),
                ("HtmlBody", html.into()),
                ("MessageStream", stream.into()),
            ]))
            .unwrap_or_default(),
        }
    }

    pub fn classify(reply: &HttpReply) -> Verdict {
        let body = json_body(reply);
        let code = body["ErrorCode"].as_u64();
        let about_to = body["Message"]
            .as_str()
            .is_some_and(|m| text::contains(m, "'To'"));
        match (reply.status, code) {
            (200, Some(0)) => Verdict::Delivered,
            (s, _) if transient(s) => Verdict::Retryable,
            (422, Some(406)) => Verdict::Rejected,
            (422, Some(300)) if about_to => Verdict::Rejected,
            _ => Verdict::Failed,
        }
    }
}

/// Mailgun: `POST /v3/{domain}/messages`, Basic `api:key`, form fields; 200
/// `{"id", "message": "Queued. Thank you."}`; 400 `{"message"}` naming the field.
pub mod mailgun {
    use super::*;

    pub const BASE_URL: &str = "https://api.mailgun.net";
    pub const EU_BASE_URL: &str = "https://api.eu.mailgun.net";

    pub fn request(
        base_url: &str,
        api_key: &str,
        domain: &str,
        from: &Sender,
        message: &Message,
    ) -> OutboundRequest {
        let (subject, text, html) = parts(message);
        let credentials = STANDARD.encode(format!("api:{api_key}"));
        OutboundRequest {
            method: "POST",
            url: format!("{base_url}/v3/{domain}/messages"),
            headers: vec![
                ("authorization".into(), format!("Basic {credentials}")),
                (
                    "content-type".into(),
                    "application/x-www-form-urlencoded".into(),
                ),
            ],
            body: form_urlencode(&[
                ("from", &from.display()),
                ("to", &message.to),
                ("subject", subject),
                ("text", text),
                ("html", html),
            ]),
        }
    }

    pub fn classify(reply: &HttpReply) -> Verdict {
        let body = json_body(reply);
        let about_to = body["message"]
            .as_str()
            .is_some_and(|m| text::contains(m, "'to'") || m.starts_with("to parameter"));
        match reply.status {
            200..=299 => Verdict::Delivered,
            s if transient(s) => Verdict::Retryable,
            400 if about_to => Verdict::Rejected,
            _ => Verdict::Failed,
        }
    }
}

/// Amazon SES v2: `POST /v2/email/outbound-emails`, SigV4-signed for service `ses`;
/// 200 `{"MessageId"}`; errors `{"message"}` (a malformed recipient is a
/// `BadRequestException` whose message names the illegal address).
pub mod ses {
    use super::*;
    use crate::delivery::provider::sigv4::{self, Scope};

    pub fn base_url(region: &str) -> String {
        format!("https://email.{region}.amazonaws.com")
    }

    pub struct Account<'a> {
        pub base_url: &'a str,
        pub region: &'a str,
        pub access_key_id: &'a str,
        pub secret_access_key: &'a str,
    }

    pub fn request(
        account: &Account,
        from: &Sender,
        message: &Message,
        now: u64,
    ) -> OutboundRequest {
        let (subject, text, html) = parts(message);
        let utf8 = |data: &str| object([("Charset", "UTF-8".into()), ("Data", data.into())]);
        let body = serde_json::to_string(&object([
            (
                "Content",
                object([(
                    "Simple",
                    object([
                        ("Body", object([("Html", utf8(html)), ("Text", utf8(text))])),
                        ("Subject", utf8(subject)),
                    ]),
                )]),
            ),
            (
                "Destination",
                object([(
                    "ToAddresses",
                    Value::Array(vec![message.to.as_str().into()]),
                )]),
            ),
            ("FromEmailAddress", from.display().into()),
        ]))
        .unwrap_or_default();
        let host = text::without_scheme(account.base_url);
        let (amz_time, date) = sigv4::amz_date(now);
        let headers = [
            ("content-type", "application/json"),
            ("host", host),
            ("x-amz-date", amz_time.as_str()),
        ];
        let path = "/v2/email/outbound-emails";
        let signed = sigv4::Request {
            method: "POST",
            path,
            query: "",
            headers: &headers,
            payload: body.as_bytes(),
        };
        let scope = Scope {
            date: &date,
            region: account.region,
            service: "ses",
        };
        let authorization = sigv4::authorization(
            account.access_key_id,
            account.secret_access_key,
            &amz_time,
            &scope,
            &signed,
        );
        OutboundRequest {
            method: "POST",
            url: format!("{}{path}", account.base_url),
            headers: vec![
                ("content-type".into(), "application/json".into()),
                ("x-amz-date".into(), amz_time.clone()),
                ("authorization".into(), authorization),
            ],
            body,
        }
    }

    pub fn classify(reply: &HttpReply) -> Verdict {
        let body = json_body(reply);
        let message = body["message"].as_str().unwrap_or_default();
        match reply.status {
            200..=299 => Verdict::Delivered,
            s if transient(s) => Verdict::Retryable,
            400 if text::contains(message, "Illegal address")
                || text::contains(message, "Missing final '@domain'") =>
            {
                Verdict::Rejected
            }
            _ => Verdict::Failed,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::delivery::provider::tests::sample;
    use serde_json::json;

    fn sender() -> Sender {
        Sender::parse("Acme <no-reply@acme.example>").unwrap()
    }

    const TEXT: &str = "Your Acme sign-in code is 123456.\n\nIt expires in 10 minutes. Do not share it with anyone: Acme will never ask you for it.\n\nIf you did not request this code, you can ignore this email.";

    #[test]
    fn sender_parsing() {
        let cases = [
            (
                "no-reply@acme.example",
                Some((None, "no-reply@acme.example")),
            ),
            (
                "Acme <no-reply@Acme.Example>",
                Some((Some("Acme"), "no-reply@acme.example")),
            ),
            (
                "<no-reply@acme.example>",
                Some((None, "no-reply@acme.example")),
            ),
            ("Acme\r\nBcc: x@y.z <no-reply@acme.example>", None),
            ("\"Acme\" <no-reply@acme.example>", None),
            ("Acme <+14155550100>", None),
            ("Acme no-reply@acme.example", None),
        ];
        for (text, expected) in cases {
            let got = Sender::parse(text);
            let expected = expected.map(|(name, address)| Sender {
                name: name.map(str::to_owned),
                address: address.to_owned(),
            });
            assert_eq!(got, expected, "{text:?}");
        }
    }

    #[test]
    fn resend_request_and_replies() {
        let message = sample("user@example.com");
        let request = resend::request(resend::BASE_URL, "re_123456789", &sender(), &message);
        assert_eq!(
            (request.method, request.url.as_str()),
            ("POST", "https://api.resend.com/emails")
        );
        assert_eq!(
            request.headers[0],
            ("authorization".to_owned(), "Bearer re_123456789".to_owned())
        );
        let body: Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(body["from"], "Acme <no-reply@acme.example>");
        assert_eq!(body["to"], json!(["user@example.com"]));
        assert_eq!(body["subject"], "Your Acme sign-in code");
        assert_eq!(body["text"], TEXT);
        assert!(body["html"].as_str().unwrap().contains("123456</strong>"));
        let cases = [
            (
                200,
                r#"{"id": "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}"#,
                Verdict::Delivered,
            ),
            (
                422,
                r#"{"statusCode": 422, "message": "Invalid `to` field. The email address needs to follow the `email@example.com` or `Name <email@example.com>` format.", "name": "validation_error"}"#,
                Verdict::Rejected,
            ),
            (
                422,
                r#"{"statusCode": 422, "message": "Invalid `from` field.", "name": "validation_error"}"#,
                Verdict::Failed,
            ),
            (
                401,
                r#"{"statusCode": 401, "message": "Missing API key in the authorization header.", "name": "missing_api_key"}"#,
                Verdict::Failed,
            ),
            (
                429,
                r#"{"statusCode": 429, "message": "Too many requests.", "name": "rate_limit_exceeded"}"#,
                Verdict::Retryable,
            ),
            (
                500,
                r#"{"statusCode": 500, "message": "An unexpected error occurred.", "name": "application_error"}"#,
                Verdict::Retryable,
            ),
        ];
        for (status, body, verdict) in cases {
            assert_eq!(
                resend::classify(&HttpReply::new(status, body)),
                verdict,
                "{body}"
            );
        }
    }

    #[test]
    fn sendgrid_request_and_replies() {
        let message = sample("user@example.com");
        let request = sendgrid::request(sendgrid::EU_BASE_URL, "SG.key", &sender(), &message);
        assert_eq!(request.url, "https://api.eu.sendgrid.com/v3/mail/send");
        assert_eq!(
            request.headers[0],
            ("authorization".to_owned(), "Bearer SG.key".to_owned())
        );
        let body: Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(
            body["personalizations"],
            json!([{"to": [{"email": "user@example.com"}]}])
        );
        assert_eq!(
            body["from"],
            json!({"email": "no-reply@acme.example", "name": "Acme"})
        );
        assert_eq!(
            body["content"][0],
            json!({"type": "text/plain", "value": TEXT})
        );
        assert_eq!(body["content"][1]["type"], "text/html");
        let cases = [
            (202, "", Verdict::Delivered),
            (
                400,
                r#"{"errors": [{"message": "Does not contain a valid address.", "field": "personalizations.0.to.0.email", "help": "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.personalizations.to"}]}"#,
                Verdict::Rejected,
            ),
            (
                400,
                r#"{"errors": [{"message": "The from email does not contain a valid address.", "field": "from.email", "help": "http://sendgrid.com/docs/API_Reference/Web_API_v3/Mail/errors.html#message.from"}]}"#,
                Verdict::Failed,
            ),
            (
                401,
                r#"{"errors": [{"message": "The provided authorization grant is invalid, expired, or revoked", "field": null, "help": null}]}"#,
                Verdict::Failed,
            ),
            (
                429,
                r#"{"errors": [{"message": "too many requests"}]}"#,
                Verdict::Retryable,
            ),
        ];
        for (status, body, verdict) in cases {
            assert_eq!(
                sendgrid::classify(&HttpReply::new(status, body)),
                verdict,
                "{body}"
            );
        }
    }

    #[test]
    fn postmark_request_and_replies() {
        let message = sample("user@example.com");
        let request = postmark::request(
            postmark::BASE_URL,
            "server-token",
            "outbound",
            &sender(),
            &message,
        );
        assert_eq!(request.url, "https://api.postmarkapp.com/email");
        assert!(request.headers.contains(&(
            "x-postmark-server-token".to_owned(),
            "server-token".to_owned()
        )));
        let body: Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(body["From"], "Acme <no-reply@acme.example>");
        assert_eq!(body["To"], "user@example.com");
        assert_eq!(body["TextBody"], TEXT);
        assert_eq!(body["MessageStream"], "outbound");
        let cases = [
            (
                200,
                r#"{"To": "receiver@example.com", "SubmittedAt": "2014-02-17T07:25:01.4178645-05:00", "MessageID": "0a129aee-e1cd-480d-b08d-4f48548ff48d", "ErrorCode": 0, "Message": "OK"}"#,
                Verdict::Delivered,
            ),
            (
                422,
                r#"{"ErrorCode": 300, "Message": "Invalid 'To' address: 'not-an-address'."}"#,
                Verdict::Rejected,
            ),
            (
                422,
                r#"{"ErrorCode": 406, "Message": "You tried to send to recipient(s) that have been marked as inactive."}"#,
                Verdict::Rejected,
            ),
            (
                422,
                r#"{"ErrorCode": 400, "Message": "The 'From' address you supplied is not a Sender Signature on your account."}"#,
                Verdict::Failed,
            ),
            (
                401,
                r#"{"ErrorCode": 10, "Message": "No Account or Server API tokens were supplied in the HTTP headers."}"#,
                Verdict::Failed,
            ),
            (500, "", Verdict::Retryable),
        ];
        for (status, body, verdict) in cases {
            assert_eq!(
                postmark::classify(&HttpReply::new(status, body)),
                verdict,
                "{body}"
            );
        }
    }

    #[test]
    fn ses_request_and_replies() {
        let message = sample("user@example.com");
        let account = ses::Account {
            base_url: &ses::base_url("us-east-1"),
            region: "us-east-1",
            access_key_id: "AKIDEXAMPLE",
            secret_access_key: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
        };
        let request = ses::request(&account, &sender(), &message, 1_440_938_160);
        assert_eq!(
            request.url,
            "https://email.us-east-1.amazonaws.com/v2/email/outbound-emails"
        );
        let body: Value = serde_json::from_str(&request.body).unwrap();
        assert_eq!(body["FromEmailAddress"], "Acme <no-reply@acme.example>");
        assert_eq!(
            body["Destination"],
            json!({"ToAddresses": ["user@example.com"]})
        );
        assert_eq!(
            body["Content"]["Simple"]["Body"]["Text"],
            json!({"Data": TEXT, "Charset": "UTF-8"})
        );
        assert_eq!(
            request.headers[1],
            ("x-amz-date".to_owned(), "20150830T123600Z".to_owned())
        );
        // Pinned against an independent SigV4 (Python's hmac and hashlib) over this body.
        assert_eq!(
            request.headers[2].1,
            include_str!("../../../tests/vectors/ses-authorization.txt").trim()
        );
        let cases = [
            (
                200,
                r#"{"MessageId": "0100016f8a2e6b3c-6d8bf0a7-3e4b-4d37-9b6b-7d2e4c1e2a7b-000000"}"#,
                Verdict::Delivered,
            ),
            (400, r#"{"message": "Illegal address"}"#, Verdict::Rejected),
            (
                400,
                r#"{"message": "Email address is not verified. The following identities failed the check in region US-EAST-1: no-reply@acme.example"}"#,
                Verdict::Failed,
            ),
            (
                403,
                r#"{"message": "The security token included in the request is invalid."}"#,
                Verdict::Failed,
            ),
            (
                429,
                r#"{"message": "Maximum sending rate exceeded."}"#,
                Verdict::Retryable,
            ),
            (500, "", Verdict::Retryable),
        ];
        for (status, body, verdict) in cases {
            assert_eq!(
                ses::classify(&HttpReply::new(status, body)),
                verdict,
                "{body}"
            );
        }
    }

    #[test]
    fn mailgun_request_and_replies() {
        let message = sample("user@example.com");
        let request = mailgun::request(
            mailgun::BASE_URL,
            "key-3ax6xnjp29jd6fds4gc373sgvjxteol0",
            "mg.acme.example",
            &sender(),
            &message,
        );
        assert_eq!(
            request.url,
            "https://api.mailgun.net/v3/mg.acme.example/messages"
        );
        assert_eq!(
            request.headers[0],
            (
                "authorization".to_owned(),
                format!(
                    "Basic {}",
                    STANDARD.encode("api:key-3ax6xnjp29jd6fds4gc373sgvjxteol0")
                )
            )
        );
        assert!(request.body.starts_with("from=Acme%20%3Cno-reply%40acme.example%3E&to=user%40example.com&subject=Your%20Acme%20sign-in%20code&text=Your%20Acme"));
        let cases = [
            (
                200,
                r#"{"id": "<20111114174239.25659.5817@samples.mailgun.org>", "message": "Queued. Thank you."}"#,
                Verdict::Delivered,
            ),
            (
                400,
                r#"{"message": "'to' parameter is not a valid address. please check documentation"}"#,
                Verdict::Rejected,
            ),
            (
                400,
                r#"{"message": "'from' parameter is not a valid address. please check documentation"}"#,
                Verdict::Failed,
            ),
            (401, "Forbidden", Verdict::Failed),
            (429, "", Verdict::Retryable),
        ];
        for (status, body, verdict) in cases {
            assert_eq!(
                mailgun::classify(&HttpReply::new(status, body)),
                verdict,
                "{body}"
            );
        }
    }
}
