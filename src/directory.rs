//! The user directory port: does an account exist for this destination? Used so
//! that `signup` can refuse existing users and `reset_password` unknown ones.
//!
//! Sources: an HTTP callback to the app's backend (a JSON POST signed like the
//! webhook provider, answered `{"exists": bool}`), or a KV namespace whose keys are
//! the normalised destinations of existing users. With enumeration protection on
//! (the default), a refused send answers exactly like a successful one and sends
//! nothing, so the API cannot be used to learn who has an account.

use crate::destination::Destination;
use crate::ports::HttpReply;
use crate::provider::webhook::signature;
use crate::provider::OutboundRequest;
use crate::purpose::Purpose;
use serde_json::json;

#[derive(Clone)]
pub enum Source {
    Http {
        url: String,
        secret: Vec<u8>,
        timeout_ms: u32,
    },
    /// The `USER_DIRECTORY` KV namespace.
    Kv,
}

#[derive(Clone)]
pub struct Directory {
    pub source: Source,
    pub protect_enumeration: bool,
}

/// What the directory's answer means for a send.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Send,
    /// `signup` for an existing account.
    Exists,
    /// `reset_password` for no account.
    Unknown,
}

/// What a send requires of the account behind the destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Existence {
    Any,
    MustExist,
    MustNotExist,
}

impl Existence {
    /// The default per purpose: `signup` needs a new account, `reset_password` an
    /// existing one; other purposes do not ask the directory.
    pub fn for_purpose(purpose: Purpose) -> Existence {
        match purpose {
            Purpose::Signup => Existence::MustNotExist,
            Purpose::ResetPassword => Existence::MustExist,
            Purpose::Login | Purpose::UpdateUserinfo => Existence::Any,
        }
    }
}

pub fn admission(existence: Existence, exists: bool) -> Admission {
    match (existence, exists) {
        (Existence::MustNotExist, true) => Admission::Exists,
        (Existence::MustExist, false) => Admission::Unknown,
        _ => Admission::Send,
    }
}

pub fn request(
    url: &str,
    secret: &[u8],
    destination: &Destination,
    purpose: Purpose,
    now: u64,
) -> OutboundRequest {
    let body = json!({
        "destination": destination.as_str(),
        "channel": destination.channel().as_str(),
        "purpose": purpose.as_str(),
    })
    .to_string();
    OutboundRequest {
        method: "POST",
        url: url.to_owned(),
        headers: vec![
            ("content-type".into(), "application/json".into()),
            ("x-edge-otp-timestamp".into(), now.to_string()),
            ("x-edge-otp-signature".into(), signature(secret, now, &body)),
        ],
        body,
    }
}

/// `Some(exists)` from a 200 `{"exists": bool}`; anything else is a failure.
pub fn classify(reply: &HttpReply) -> Option<bool> {
    if reply.status != 200 {
        return None;
    }
    serde_json::from_str::<serde_json::Value>(&reply.body)
        .ok()?
        .get("exists")?
        .as_bool()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn admission_table() {
        use Admission::*;
        let cases = [
            (Purpose::Signup, true, Exists),
            (Purpose::Signup, false, Send),
            (Purpose::ResetPassword, false, Unknown),
            (Purpose::ResetPassword, true, Send),
            (Purpose::Login, false, Send),
            (Purpose::UpdateUserinfo, true, Send),
        ];
        for (purpose, exists, expected) in cases {
            let existence = Existence::for_purpose(purpose);
            assert_eq!(
                admission(existence, exists),
                expected,
                "{purpose:?} {exists}"
            );
        }
    }

    #[test]
    fn callback_request_and_replies() {
        let to = Destination::parse("a@example.com").unwrap();
        let request = request(
            "https://app.example/users/exists",
            b"0123456789abcdef",
            &to,
            Purpose::Signup,
            1_700_000_000,
        );
        assert_eq!(
            request.body,
            r#"{"channel":"email","destination":"a@example.com","purpose":"signup"}"#
        );
        assert!(request
            .headers
            .iter()
            .any(|(n, v)| n == "x-edge-otp-signature" && v.starts_with("v1=")));
        let reply = HttpReply::new;
        assert_eq!(classify(&reply(200, r#"{"exists":true}"#)), Some(true));
        assert_eq!(classify(&reply(200, r#"{"exists":false}"#)), Some(false));
        assert_eq!(classify(&reply(200, r#"{"exists":"yes"}"#)), None);
        assert_eq!(classify(&reply(500, r#"{"exists":true}"#)), None);
    }
}
