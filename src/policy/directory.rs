//! The user directory port: does an account exist for this destination? Used so
//! that `signup` can refuse existing users and `reset_password` unknown ones.
//!
//! Sources: an HTTP callback to the app's backend (a JSON POST signed like the
//! webhook provider, answered `{"exists": bool}`), or a KV namespace whose keys are
//! the normalised destinations of existing users. With enumeration protection on
//! (the default), a refused send answers exactly like a successful one and sends
//! nothing, so the API cannot be used to learn who has an account.
//!
//! The same sources also resolve an account name to the account's contacts (for
//! Huawei Meeting, whose `user` may be an account): the callback gets
//! `{"account": name}` and answers `{"phone": …, "email": …}` (each a string or
//! `null`; both `null` for no such account); in KV the key `account:<name>` holds
//! the same JSON.

use crate::core::destination::Destination;
use crate::core::json::{object, Value};
use crate::core::purpose::Purpose;
use crate::core::text;
use crate::delivery::provider::webhook::signed_post;
use crate::ports::HttpReply;
use crate::ports::OutboundRequest;

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
    let body = object([
        ("channel", destination.channel().as_str().into()),
        ("destination", destination.as_str().into()),
        ("purpose", purpose.as_str().into()),
    ]);
    signed_post(
        url,
        secret,
        serde_json::to_string(&body).unwrap_or_default(),
        now,
    )
}

/// The phone and email an account has on file (either may be absent).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Contacts {
    pub phone: Option<String>,
    pub email: Option<String>,
}

impl Contacts {
    pub fn is_empty(&self) -> bool {
        self.phone.is_none() && self.email.is_none()
    }
}

/// An account name the directory may be asked about: 1 to 64 printable characters
/// that are not themselves a destination's syntax.
pub fn is_account_name(name: &str) -> bool {
    (1..=64).contains(&name.chars().count())
        && !text::contains(name, "@")
        && !name.starts_with('+')
        && name.chars().all(|c| !c.is_control() && !c.is_whitespace())
}

/// The KV key of an account's contacts.
pub fn account_key(name: &str) -> String {
    format!("account:{name}")
}

/// The signed callback request resolving an account name.
pub fn account_request(url: &str, secret: &[u8], account: &str, now: u64) -> OutboundRequest {
    signed_post(
        url,
        secret,
        serde_json::to_string(&object([("account", account.into())])).unwrap_or_default(),
        now,
    )
}

/// Contacts from their JSON (`{"phone": …, "email": …}`); `None` when malformed.
pub fn parse_contacts(text: &str) -> Option<Contacts> {
    let value: Value = serde_json::from_str(text).ok()?;
    value.as_object()?;
    let field = |name: &str| match value.get(name) {
        None | Some(Value::Null) => Some(None),
        Some(Value::String(s)) => Some(Some(s.clone())),
        Some(_) => None,
    };
    Some(Contacts {
        phone: field("phone")?,
        email: field("email")?,
    })
}

/// `Some(contacts)` from a 200 answer to [`account_request`]; anything else fails.
pub fn classify_account(reply: &HttpReply) -> Option<Contacts> {
    (reply.status == 200).then(|| parse_contacts(&reply.body))?
}

/// `Some(exists)` from a 200 `{"exists": bool}`; anything else is a failure.
pub fn classify(reply: &HttpReply) -> Option<bool> {
    if reply.status != 200 {
        return None;
    }
    serde_json::from_str::<Value>(&reply.body)
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

    #[test]
    fn account_names_and_contacts() {
        for (name, ok) in [
            ("alice", true),
            ("user_01.test", true),
            ("", false),
            ("a@example.com", false),
            ("+8613800000000", false),
            ("has space", false),
            (&"x".repeat(65), false),
        ] {
            assert_eq!(is_account_name(name), ok, "{name:?}");
        }
        let request = account_request("https://app.example/dir", b"k", "alice", 1);
        assert_eq!(request.body, r#"{"account":"alice"}"#);
        let reply = HttpReply::new;
        let both = Contacts {
            phone: Some("+8613800000000".into()),
            email: Some("a@example.com".into()),
        };
        let cases = [
            (
                200,
                r#"{"phone":"+8613800000000","email":"a@example.com"}"#,
                Some(both),
            ),
            (
                200,
                r#"{"phone":null,"email":null}"#,
                Some(Contacts::default()),
            ),
            (200, r#"{}"#, Some(Contacts::default())),
            (200, r#"{"phone":5}"#, None),
            (200, r#"[]"#, None),
            (500, r#"{"phone":null}"#, None),
        ];
        for (status, body, expected) in cases {
            assert_eq!(classify_account(&reply(status, body)), expected, "{body}");
        }
    }
}
