//! Captcha escalation with Cloudflare Turnstile.
//!
//! Modes: `off`; `always` (every send needs a token); `adaptive` (a send needs a
//! token once its IP or its destination has had `threshold` sends in the current
//! hour). Tokens are checked with Turnstile's siteverify API; a siteverify that
//! fails or times out refuses the send (fail closed).

use crate::core::json::Value;
use crate::core::percent::form_urlencode;
use crate::ports::HttpReply;
use crate::ports::OutboundRequest;

pub const SITEVERIFY_URL: &str = "https://challenges.cloudflare.com/turnstile/v0/siteverify";

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum CaptchaMode {
    #[default]
    Off,
    Always,
    Adaptive {
        threshold: u32,
    },
}

#[derive(Clone)]
pub struct Turnstile {
    pub secret: String,
    pub verify_url: String,
    pub timeout_ms: u32,
    /// Hosts a token's page may be on (`TURNSTILE_HOSTNAMES`; empty: any).
    pub hostnames: Vec<String>,
    /// The action a token must carry (`TURNSTILE_ACTION`; `None`: any).
    pub action: Option<String>,
}

#[derive(Clone, Default)]
pub struct Captcha {
    pub mode: CaptchaMode,
    /// Present whenever `mode` is not `Off` (the configuration checks it).
    pub turnstile: Option<Turnstile>,
}

impl Captcha {
    /// Whether this send needs a token, given the sends its IP and its destination
    /// already had this hour.
    pub fn required(&self, ip_sends: u32, destination_sends: u32) -> bool {
        match self.mode {
            CaptchaMode::Off => false,
            CaptchaMode::Always => true,
            CaptchaMode::Adaptive { threshold } => ip_sends.max(destination_sends) >= threshold,
        }
    }
}

/// What siteverify said.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Valid,
    Invalid,
    /// siteverify could not answer: refuse, never let through.
    Unavailable,
}

impl Turnstile {
    pub fn request(&self, token: &str, remote_ip: Option<&str>) -> OutboundRequest {
        let mut fields = vec![("secret", self.secret.as_str()), ("response", token)];
        if let Some(ip) = remote_ip {
            fields.push(("remoteip", ip));
        }
        OutboundRequest {
            method: "POST",
            url: self.verify_url.clone(),
            headers: vec![(
                "content-type".into(),
                "application/x-www-form-urlencoded".into(),
            )],
            body: form_urlencode(&fields),
        }
    }
}

/// siteverify answers 200 with `{"success": bool, "error-codes": [...]}`.
impl Turnstile {
    /// What siteverify's answer means for us: a valid token from a page on one of
    /// our hosts, with our action (a token minted on another site, or for another
    /// widget, is refused).
    pub fn classify(&self, reply: &HttpReply) -> Verdict {
        if reply.status != 200 {
            return Verdict::Unavailable;
        }
        let Ok(answer) = serde_json::from_str::<Value>(&reply.body) else {
            return Verdict::Unavailable;
        };
        let field = |name: &str| answer.get(name).and_then(Value::as_str);
        let host_ok = self.hostnames.is_empty()
            || field("hostname").is_some_and(|h| {
                self.hostnames
                    .iter()
                    .any(|ours| ours.eq_ignore_ascii_case(h))
            });
        let action_ok = self
            .action
            .as_deref()
            .is_none_or(|action| field("action") == Some(action));
        match answer.get("success").and_then(Value::as_bool) {
            Some(true) if host_ok && action_ok => Verdict::Valid,
            Some(_) => Verdict::Invalid,
            None => Verdict::Unavailable,
        }
    }
}

/// A token fit to forward: Turnstile tokens are at most 2048 characters.
pub fn plausible(token: &str) -> bool {
    !token.is_empty() && token.len() <= 2048 && token.bytes().all(|b| b.is_ascii_graphic())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes() {
        let captcha = |mode| Captcha {
            mode,
            turnstile: None,
        };
        let cases = [
            (CaptchaMode::Off, 100, 100, false),
            (CaptchaMode::Always, 0, 0, true),
            (CaptchaMode::Adaptive { threshold: 3 }, 2, 2, false),
            (CaptchaMode::Adaptive { threshold: 3 }, 3, 0, true),
            (CaptchaMode::Adaptive { threshold: 3 }, 0, 3, true),
        ];
        for (mode, ip, dest, expected) in cases {
            assert_eq!(
                captcha(mode).required(ip, dest),
                expected,
                "{mode:?} {ip} {dest}"
            );
        }
    }

    #[test]
    fn siteverify_request_and_replies() {
        let turnstile = Turnstile {
            secret: "0x4AAA-secret".into(),
            verify_url: SITEVERIFY_URL.into(),
            timeout_ms: 3000,
            hostnames: Vec::new(),
            action: None,
        };
        let request = turnstile.request("tok en/+=", Some("203.0.113.9"));
        assert_eq!(request.method, "POST");
        assert_eq!(request.url, SITEVERIFY_URL);
        assert_eq!(
            request.body,
            "secret=0x4AAA-secret&response=tok%20en%2F%2B%3D&remoteip=203.0.113.9"
        );
        let reply = HttpReply::new;
        // Bodies as Cloudflare's Turnstile documentation shows them.
        let cases = [
            (
                200,
                r#"{"success":true,"challenge_ts":"2022-02-28T15:14:30.096Z","hostname":"example.com","error-codes":[],"action":"login","cdata":"sessionid-123456789"}"#,
                Verdict::Valid,
            ),
            (
                200,
                r#"{"success":false,"error-codes":["invalid-input-response"]}"#,
                Verdict::Invalid,
            ),
            (
                200,
                r#"{"success":false,"error-codes":["timeout-or-duplicate"]}"#,
                Verdict::Invalid,
            ),
            (200, "not json", Verdict::Unavailable),
            (500, r#"{"success":true}"#, Verdict::Unavailable),
        ];
        for (status, body, verdict) in cases {
            assert_eq!(
                turnstile.classify(&reply(status, body)),
                verdict,
                "{status} {body}"
            );
        }
        // With hostnames and an action configured, a valid token from another page or
        // widget is refused.
        let strict = Turnstile {
            hostnames: vec!["login.example.com".into()],
            action: Some("edge-otp-send".into()),
            ..turnstile
        };
        let answer = |host: &str, action: &str| {
            reply(
                200,
                &format!(r#"{{"success":true,"hostname":"{host}","action":"{action}"}}"#),
            )
        };
        assert_eq!(
            strict.classify(&answer("login.example.com", "edge-otp-send")),
            Verdict::Valid
        );
        assert_eq!(
            strict.classify(&answer("evil.example", "edge-otp-send")),
            Verdict::Invalid
        );
        assert_eq!(
            strict.classify(&answer("login.example.com", "login")),
            Verdict::Invalid
        );
        assert!(plausible("0.abc-DEF_123"));
        assert!(!plausible("") && !plausible("a b") && !plausible(&"x".repeat(2049)));
    }
}
