//! The use cases end to end over in-memory ports: a fixed clock, a counting entropy
//! source, a memory KV that can fail, and a transport that records requests and
//! replays scripted answers.

use super::*;
use crate::ports::ed25519::{Compact, Ed25519Error};
use crate::ports::kv::memory::{block_on, MemoryKv};
use crate::ports::OutboundRequest;
use crate::ports::{EntropyError, HttpReply, TransportError};
use crate::testkit::{KEY1, KEY2};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;

const T0: u64 = 1_700_000_000;

/// Deterministic bytes: an incrementing counter.
pub(crate) struct Counter(Cell<u8>);
impl Entropy for Counter {
    fn fill(&self, buf: &mut [u8]) -> Result<(), EntropyError> {
        for b in buf {
            *b = self.0.get() % 250;
            self.0.set(self.0.get().wrapping_add(1));
        }
        Ok(())
    }
}

struct Broken;
impl Entropy for Broken {
    fn fill(&self, _: &mut [u8]) -> Result<(), EntropyError> {
        Err(EntropyError)
    }
}

/// Records every request; answers from a script (default 200).
#[derive(Default)]
pub(crate) struct Recorder {
    pub(crate) requests: RefCell<Vec<OutboundRequest>>,
    pub(crate) script: RefCell<Vec<Result<HttpReply, TransportError>>>,
    pub(crate) console: RefCell<Vec<String>>,
    pub(crate) sleeps: RefCell<Vec<u32>>,
}

impl Recorder {
    pub(crate) fn answer(&self, replies: Vec<Result<HttpReply, TransportError>>) {
        *self.script.borrow_mut() = replies;
    }
    pub(crate) fn last_code(&self) -> String {
        let requests = self.requests.borrow();
        let body: serde_json::Value =
            serde_json::from_str(&requests.last().expect("a request").body).unwrap();
        body["code"].as_str().unwrap().to_owned()
    }
}

pub(crate) fn status(status: u16) -> Result<HttpReply, TransportError> {
    Ok(HttpReply {
        status,
        body: String::new(),
    })
}

impl Transport for Recorder {
    async fn fetch(&self, request: &OutboundRequest, _: u32) -> Result<HttpReply, TransportError> {
        self.requests.borrow_mut().push(request.clone());
        let mut script = self.script.borrow_mut();
        if script.is_empty() {
            status(200)
        } else {
            script.remove(0)
        }
    }
    fn console(&self, line: &str) {
        self.console.borrow_mut().push(line.to_owned());
    }
    async fn sleep(&self, ms: u32) {
        self.sleeps.borrow_mut().push(ms);
    }
}

/// A login send to `to` with every option at its default.
pub(crate) fn send_command(to: &str) -> SendCommand {
    SendCommand {
        to: to.into(),
        channel: None,
        purpose: Purpose::Login,
        locale: Locale::EnUs,
        ttl: None,
        client: String::new(),
        client_ip: None,
        captcha_token: None,
        existence: None,
        code_length: None,
        max_ttl: None,
        server: None,
    }
}

pub(crate) fn config(extra: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<&str, &str> = HashMap::from([
        ("OTP_KEYS", KEY1),
        ("SMS_PROVIDERS", "webhook"),
        ("EMAIL_PROVIDERS", "webhook"),
        ("WEBHOOK_URL", "https://hooks.example/otp"),
        ("WEBHOOK_SECRET", "0123456789abcdef"),
        ("DIALECTS", "all"),
        ("LOCAL_DEVELOPMENT", "true"),
    ]);
    vars.extend(extra.iter().copied());
    Config::from_env(&move |name| vars.get(name).map(|v| v.to_string())).unwrap()
}

pub(crate) struct World {
    pub(crate) config: Config,
    pub(crate) kv: MemoryKv,
    pub(crate) transport: Recorder,
    pub(crate) entropy: Counter,
    pub(crate) breaker: RefCell<crate::delivery::failover::Breaker>,
    pub(crate) leases: RefCell<crate::policy::budget::LeaseBook>,
    pub(crate) events: RefCell<Vec<crate::service::events::Event>>,
}

impl World {
    pub(crate) fn new(extra: &[(&str, &str)]) -> World {
        World {
            config: config(extra),
            kv: MemoryKv::default(),
            transport: Recorder::default(),
            entropy: Counter(Cell::new(0)),
            breaker: RefCell::default(),
            leases: RefCell::default(),
            events: RefCell::default(),
        }
    }
    pub(crate) fn deps(&self) -> Deps<'_, MemoryKv, MemoryKv, Recorder, Counter, Compact> {
        Deps {
            config: &self.config,
            kv: &self.kv,
            state: &self.kv,
            transport: &self.transport,
            entropy: &self.entropy,
            ed25519: &Compact,
            user_directory: None,
            breaker: &self.breaker,
            leases: &self.leases,
            events: &self.events,
        }
    }
    fn send_from(&self, to: &str, ip: &str, now: u64) -> Result<SendOutcome, ApiError> {
        let command = SendCommand {
            client_ip: Some(ip.into()),
            ..send_command(to)
        };
        block_on(send_code(&self.deps(), command, now))
    }
    fn send(&self, to: &str, now: u64) -> Result<SendOutcome, ApiError> {
        self.send_from(to, "192.0.2.1", now)
    }
    fn check(&self, id: &str, code: &str, now: u64) -> Result<CheckOutcome, ApiError> {
        let command = CheckCommand {
            verification_id: id.into(),
            code: code.into(),
            to: None,
            purpose: None,
            token_ttl: None,
            client: String::new(),
        };
        block_on(check_code(&self.deps(), command, now))
    }
}

fn wrong(code: &str) -> String {
    let mut bytes = code.as_bytes().to_vec();
    bytes[0] = if bytes[0] == b'9' { b'0' } else { bytes[0] + 1 };
    String::from_utf8(bytes).unwrap()
}

#[test]
fn send_then_check_approves_once() {
    let w = World::new(&[]);
    let sent = w.send("+86 138-0013-8000", T0).unwrap();
    assert_eq!(sent.destination.masked(), "+86138****8000");
    assert_eq!(
        (sent.expires_in, sent.resend_after, sent.attempts_allowed),
        (600, 60, 5)
    );
    let code = w.transport.last_code();
    assert_eq!(code.len(), 6);
    assert!(!sent.verification_id.contains(&code));
    let approved = w.check(&sent.verification_id, &code, T0 + 10).unwrap();
    assert_eq!(approved.destination.as_str(), "+8613800138000");
    assert_eq!(approved.expires_in, 300);
    assert_eq!(approved.verified_token.split('.').count(), 3);
    assert_eq!(
        w.check(&sent.verification_id, &code, T0 + 11),
        Err(ApiError::AlreadyUsed)
    );
}

#[test]
fn no_code_or_token_reaches_the_store() {
    let w = World::new(&[]);
    let sent = w.send("a@example.com", T0).unwrap();
    let code = w.transport.last_code();
    w.check(&sent.verification_id, &code, T0 + 1).unwrap();
    for (key, (value, _)) in w.kv.entries.borrow().iter() {
        for secret in [
            code.as_str(),
            sent.verification_id.as_str(),
            "a@example.com",
        ] {
            assert!(
                !key.contains(secret) && !value.contains(secret),
                "{key} = {value}"
            );
        }
    }
}

#[test]
fn attempts_limit_kills_the_code() {
    let w = World::new(&[]);
    let sent = w.send("a@example.com", T0).unwrap();
    let code = w.transport.last_code();
    for remaining in (1..=4).rev() {
        assert_eq!(
            w.check(&sent.verification_id, &wrong(&code), T0 + 1),
            Err(ApiError::InvalidCode {
                attempts_remaining: remaining
            })
        );
    }
    assert_eq!(
        w.check(&sent.verification_id, "12ab56", T0 + 1),
        Err(ApiError::TooManyAttempts)
    );
    assert_eq!(
        w.check(&sent.verification_id, &code, T0 + 2),
        Err(ApiError::TooManyAttempts)
    );
}

#[test]
fn malformed_codes_count_as_wrong() {
    let w = World::new(&[]);
    let sent = w.send("a@example.com", T0).unwrap();
    for (i, bad) in ["", "12345", "1234567", "１２３４５６"].iter().enumerate() {
        assert_eq!(
            w.check(&sent.verification_id, bad, T0 + 1),
            Err(ApiError::InvalidCode {
                attempts_remaining: 4 - i as u32
            }),
            "{bad:?}"
        );
    }
}

#[test]
fn expiry_boundaries() {
    let w = World::new(&[]);
    let sent = w.send("a@example.com", T0).unwrap();
    let code = w.transport.last_code();
    assert_eq!(
        w.check(&sent.verification_id, &code, T0 + 600),
        Err(ApiError::Expired)
    );
    assert!(w.check(&sent.verification_id, &code, T0 + 599).is_ok());
}

#[test]
fn ttl_is_clamped() {
    let w = World::new(&[]);
    let command = |ttl| SendCommand {
        ttl: Some(ttl),
        ..send_command(&format!("ttl{ttl}@example.com"))
    };
    for (asked, granted) in [(0, 60), (59, 60), (120, 120), (600, 600), (86_400, 600)] {
        let sent = block_on(send_code(&w.deps(), command(asked), T0)).unwrap();
        assert_eq!(sent.expires_in, granted, "asked {asked}");
    }
}

#[test]
fn bindings_to_destination_and_purpose() {
    let w = World::new(&[]);
    let sent = w.send("+8613800138000", T0).unwrap();
    let code = w.transport.last_code();
    let check = |to: Option<&str>, purpose: Option<Purpose>| {
        let command = CheckCommand {
            verification_id: sent.verification_id.clone(),
            code: code.clone(),
            to: to.map(str::to_owned),
            purpose,
            token_ttl: None,
            client: String::new(),
        };
        block_on(check_code(&w.deps(), command, T0 + 1))
    };
    assert_eq!(
        check(Some("+8613800138001"), None),
        Err(ApiError::InvalidVerification)
    );
    assert_eq!(
        check(Some("not a phone"), None),
        Err(ApiError::InvalidVerification)
    );
    assert_eq!(
        check(None, Some(Purpose::Signup)),
        Err(ApiError::InvalidVerification)
    );
    // Refused bindings consumed nothing: the right binding still approves.
    assert!(check(Some("+86 138 0013 8000"), Some(Purpose::Login)).is_ok());
}

#[test]
fn tampered_and_foreign_tokens() {
    let w = World::new(&[]);
    let sent = w.send("a@example.com", T0).unwrap();
    let code = w.transport.last_code();
    let mut tampered = sent.verification_id.clone().into_bytes();
    let last = tampered.len() - 5;
    tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
    let tampered = String::from_utf8(tampered).unwrap();
    assert_eq!(
        w.check(&tampered, &code, T0 + 1),
        Err(ApiError::InvalidVerification)
    );
    assert_eq!(
        w.check("", &code, T0 + 1),
        Err(ApiError::InvalidVerification)
    );
    let other = World::new(&[("OTP_KEYS", KEY2)]);
    assert_eq!(
        other.check(&sent.verification_id, &code, T0 + 1),
        Err(ApiError::InvalidVerification)
    );
}

#[test]
fn rotation_keeps_pending_codes_valid_and_signs_with_the_new_key() {
    let w = World::new(&[]);
    let sent = w.send("a@example.com", T0).unwrap();
    let code = w.transport.last_code();
    let rotated = World {
        config: config(&[("OTP_KEYS", &format!("{KEY2},{KEY1}"))]),
        ..w
    };
    let approved = rotated.check(&sent.verification_id, &code, T0 + 1).unwrap();
    let header =
        crate::core::base64url::decode(approved.verified_token.split('.').next().unwrap()).unwrap();
    // Without SIGNING_KEYS the signing ring follows OTP_KEYS: the new key signs.
    assert!(String::from_utf8(header)
        .unwrap()
        .contains(r#""kid":"otp-k2""#));
}

#[test]
fn verified_tokens_verify_with_the_published_keys_alone() {
    use ed25519_dalek::{Signature, Verifier, VerifyingKey};
    let w = World::new(&[]);
    let sent = w.send("a@example.com", T0).unwrap();
    let approved = w.check(&sent.verification_id, &w.transport.last_code(), T0 + 1);
    let token = approved.unwrap().verified_token;
    let jwks = block_on(crate::service::jwks(&w.deps())).unwrap();
    let x = jwks["keys"][0]["x"].as_str().unwrap();
    let public: [u8; 32] = crate::core::base64url::decode(x)
        .unwrap()
        .try_into()
        .unwrap();
    let (input, signature) = token.rsplit_once('.').unwrap();
    let signature: [u8; 64] = crate::core::base64url::decode(signature)
        .unwrap()
        .try_into()
        .unwrap();
    let key = VerifyingKey::from_bytes(&public).unwrap();
    assert!(key
        .verify(input.as_bytes(), &Signature::from_bytes(&signature))
        .is_ok());
    let hs256 = World::new(&[("JWT_ALG", "HS256")]);
    let none = block_on(crate::service::jwks(&hs256.deps())).unwrap();
    assert_eq!(none, serde_json::json!({"keys": []}));
}

/// A signer the runtime refuses.
struct Refusing;

impl Ed25519 for Refusing {
    async fn public_key(&self, _: &[u8; 32]) -> Result<[u8; 32], Ed25519Error> {
        Err(Ed25519Error)
    }
    async fn sign(&self, _: &[u8; 32], _: &[u8]) -> Result<[u8; 64], Ed25519Error> {
        Err(Ed25519Error)
    }
}

#[test]
fn an_unsigned_approval_is_an_error_and_the_code_stays_used() {
    let w = World::new(&[]);
    let sent = w.send("a@example.com", T0).unwrap();
    let code = w.transport.last_code();
    let deps = Deps {
        config: &w.config,
        kv: &w.kv,
        state: &w.kv,
        transport: &w.transport,
        entropy: &w.entropy,
        ed25519: &Refusing,
        user_directory: None,
        breaker: &w.breaker,
        leases: &w.leases,
        events: &w.events,
    };
    let command = |code: &str| CheckCommand {
        verification_id: sent.verification_id.clone(),
        code: code.into(),
        to: None,
        purpose: None,
        token_ttl: None,
        client: String::new(),
    };
    assert_eq!(
        block_on(check_code(&deps, command(&code), T0 + 1)),
        Err(ApiError::Internal)
    );
    assert_eq!(
        block_on(crate::service::jwks(&deps)),
        Err(ApiError::Internal)
    );
    assert_eq!(
        w.check(&sent.verification_id, &code, T0 + 2),
        Err(ApiError::AlreadyUsed),
        "no second approval of a consumed code"
    );
}

#[test]
fn channel_must_match_destination() {
    let w = World::new(&[]);
    let command = SendCommand {
        channel: Some(Channel::Sms),
        ..send_command("a@example.com")
    };
    assert_eq!(
        block_on(send_code(&w.deps(), command, T0)),
        Err(ApiError::invalid_field(
            "channel",
            "The channel does not match the destination."
        ))
    );
    assert!(w.transport.requests.borrow().is_empty());
}

#[test]
fn invalid_destinations_send_nothing() {
    let w = World::new(&[]);
    assert_eq!(
        w.send("+86 123", T0).err(),
        Some(ApiError::InvalidPhoneNumber)
    );
    assert_eq!(w.send("a@b", T0).err(), Some(ApiError::InvalidEmail));
    assert!(w.transport.requests.borrow().is_empty());
    assert!(w.kv.entries.borrow().is_empty());
}

#[test]
fn cooldown_then_retry_after() {
    let w = World::new(&[]);
    w.send("a@example.com", T0).unwrap();
    assert_eq!(
        w.send("a@example.com", T0 + 15).err(),
        Some(ApiError::RateLimited { retry_after: 45 })
    );
    assert_eq!(w.transport.requests.borrow().len(), 1);
    assert!(w.send("a@example.com", T0 + 60).is_ok());
}

#[test]
fn eleventh_send_from_one_ip_is_limited() {
    let w = World::new(&[]);
    for i in 0..10 {
        w.send_from(&format!("u{i}@example.com"), "203.0.113.9", T0)
            .unwrap();
    }
    assert!(matches!(
        w.send_from("u10@example.com", "203.0.113.9", T0),
        Err(ApiError::RateLimited { .. })
    ));
    // IPv6 senders share a limit per /64.
    for i in 0..10 {
        w.send_from(
            &format!("v{i}@example.com"),
            &format!("2001:db8:1:2::{i}"),
            T0,
        )
        .unwrap();
    }
    assert!(matches!(
        w.send_from("v10@example.com", "2001:db8:1:2:ffff::1", T0),
        Err(ApiError::RateLimited { .. })
    ));
}

#[test]
fn failed_delivery_answers_503_and_keeps_the_cooldown_free() {
    let w = World::new(&[]);
    w.transport.answer(vec![status(500), status(503)]);
    assert_eq!(
        w.send("a@example.com", T0).err(),
        Some(ApiError::DeliveryUnavailable { retry_after: 30 })
    );
    assert_eq!(
        *w.transport.sleeps.borrow(),
        [crate::delivery::failover::BACKOFF_MS],
        "one retry"
    );
    w.transport
        .answer(vec![Err(TransportError::Timeout), status(429)]);
    assert!(matches!(
        w.send("a@example.com", T0 + 1),
        Err(ApiError::DeliveryUnavailable { .. })
    ));
    let sent = w.send("a@example.com", T0 + 2).unwrap();
    let code = w.transport.last_code();
    assert!(w.check(&sent.verification_id, &code, T0 + 3).is_ok());
}

#[test]
fn provider_rejection_is_a_destination_error() {
    let w = World::new(&[]);
    w.transport.answer(vec![status(422)]);
    assert_eq!(
        w.send("+14155550100", T0).err(),
        Some(ApiError::InvalidPhoneNumber)
    );
    w.transport.answer(vec![status(422)]);
    assert_eq!(
        w.send("a@example.com", T0).err(),
        Some(ApiError::InvalidEmail)
    );
}

#[test]
fn failover_to_the_next_provider() {
    let w = World::new(&[("EMAIL_PROVIDERS", "webhook,log")]);
    w.transport.answer(vec![status(503), status(502)]);
    let sent = w.send("a@example.com", T0).unwrap();
    assert_eq!(sent.provider, Some("log"));
    let console = w.transport.console.borrow();
    assert_eq!(console.len(), 1);
    assert!(console[0].contains("a***@example.com") && !console[0].contains("a@example.com"));
}

#[test]
fn store_failures_fail_closed() {
    let w = World::new(&[]);
    w.kv.fail_writes.set(Some(StoreError::Unavailable));
    assert!(matches!(
        w.send("a@example.com", T0),
        Err(ApiError::ServiceUnavailable { .. })
    ));
    assert!(
        w.transport.requests.borrow().is_empty(),
        "nothing sent without its record"
    );
    w.kv.fail_writes.set(None);
    let sent = w.send("a@example.com", T0).unwrap();
    let code = w.transport.last_code();
    w.kv.fail_writes.set(Some(StoreError::Unavailable));
    assert!(matches!(
        w.check(&sent.verification_id, &code, T0 + 1),
        Err(ApiError::ServiceUnavailable { .. })
    ));
    w.kv.fail_writes.set(Some(StoreError::Busy));
    assert_eq!(
        w.check(&sent.verification_id, &code, T0 + 1),
        Err(ApiError::RateLimited { retry_after: 1 })
    );
    w.kv.fail_writes.set(None);
    assert!(
        w.check(&sent.verification_id, &code, T0 + 2).is_ok(),
        "no approval was lost"
    );
}

#[test]
fn no_randomness_no_code() {
    let w = World::new(&[]);
    let deps = Deps {
        config: &w.config,
        kv: &w.kv,
        state: &w.kv,
        transport: &w.transport,
        entropy: &Broken,
        ed25519: &Compact,
        user_directory: None,
        breaker: &w.breaker,
        leases: &w.leases,
        events: &w.events,
    };
    let command = send_command("a@example.com");
    assert!(matches!(
        block_on(send_code(&deps, command, T0)),
        Err(ApiError::ServiceUnavailable { .. })
    ));
    assert!(w.kv.entries.borrow().is_empty() && w.transport.requests.borrow().is_empty());
}

#[test]
fn accounts_resolve_through_a_kv_directory() {
    let w = World::new(&[("DIRECTORY", "kv")]);
    let directory = MemoryKv::default();
    block_on(directory.put(
        "account:alice",
        r#"{"phone":"+8613612349209","email":null}"#,
        3600,
    ))
    .unwrap();
    block_on(directory.put("account:broken", "not json", 3600)).unwrap();
    let deps = Deps {
        user_directory: Some(&directory),
        ..w.deps()
    };
    let resolve = |name| block_on(crate::service::resolve_account(&deps, name, T0));
    let alice = resolve("alice").unwrap().unwrap();
    assert_eq!(alice.phone.as_deref(), Some("+8613612349209"));
    assert_eq!(alice.email, None);
    assert!(resolve("bob").unwrap().unwrap().is_empty());
    assert_eq!(resolve("broken"), Err(ApiError::Internal));
    assert_eq!(
        block_on(crate::service::resolve_account(&w.deps(), "alice", T0)),
        Err(ApiError::Internal),
        "a KV directory without its binding is a deployment error"
    );
    let none = World::new(&[]);
    assert_eq!(
        block_on(crate::service::resolve_account(&none.deps(), "alice", T0)),
        Ok(None)
    );
}

#[test]
fn ip_buckets() {
    let cases = [
        (Some("203.0.113.9"), "203.0.113.9"),
        (Some(" 203.0.113.9 "), "203.0.113.9"),
        (Some("2001:db8:1:2:3:4:5:6"), "2001:db8:1:2::/64"),
        (Some("2001:DB8:1:2::9"), "2001:db8:1:2::/64"),
        (Some("not-an-ip"), "unknown"),
        (None, "unknown"),
    ];
    for (ip, bucket) in cases {
        assert_eq!(ip_bucket(ip), bucket, "{ip:?}");
    }
}

pub(crate) fn json_reply(body: &str) -> Result<HttpReply, TransportError> {
    Ok(HttpReply {
        status: 200,
        body: body.into(),
    })
}

#[test]
fn captcha_always_mode() {
    let w = World::new(&[
        ("CAPTCHA_MODE", "always"),
        ("TURNSTILE_SECRET", "ts-secret"),
    ]);
    let with_token = |token: Option<&str>| SendCommand {
        captcha_token: token.map(str::to_owned),
        ..send_command("a@example.com")
    };
    let send = |command| block_on(send_code(&w.deps(), command, T0));
    assert_eq!(
        send(with_token(None)).err(),
        Some(ApiError::CaptchaRequired)
    );
    assert_eq!(
        send(with_token(Some("bad token"))).err(),
        Some(ApiError::CaptchaInvalid),
        "not even asked"
    );
    w.transport.answer(vec![json_reply(
        r#"{"success":false,"error-codes":["invalid-input-response"]}"#,
    )]);
    assert_eq!(
        send(with_token(Some("t1"))).err(),
        Some(ApiError::CaptchaInvalid)
    );
    w.transport.answer(vec![Err(TransportError::Timeout)]);
    assert!(matches!(
        send(with_token(Some("t2"))),
        Err(ApiError::ServiceUnavailable { .. })
    ));
    let siteverify_calls = w.transport.requests.borrow().len();
    assert_eq!(siteverify_calls, 2);
    assert!(
        w.kv.entries.borrow().is_empty(),
        "refused sends record nothing"
    );
    w.transport.answer(vec![json_reply(r#"{"success":true}"#)]);
    assert!(send(with_token(Some("t3"))).is_ok());
    let requests = w.transport.requests.borrow();
    assert!(requests[2].body.contains("secret=ts-secret&response=t3"));
    assert_eq!(
        requests[3].url, "https://hooks.example/otp",
        "then the message"
    );
}

#[test]
fn denied_country() {
    let w = World::new(&[("DENIED_CALLING_CODES", "86")]);
    assert_eq!(
        w.send("+8613800138000", T0).err(),
        Some(ApiError::DestinationNotAllowed)
    );
    assert!(w.send("+14155550100", T0).is_ok());
    let w = World::new(&[("ALLOWED_CALLING_CODES", "86")]);
    assert_eq!(
        w.send("+14155550100", T0).err(),
        Some(ApiError::DestinationNotAllowed)
    );
    assert!(w.transport.requests.borrow().is_empty());
}

#[test]
fn directory_with_and_without_enumeration_protection() {
    let directory = [
        ("DIRECTORY", "http"),
        ("DIRECTORY_URL", "https://app.example/exists"),
        ("DIRECTORY_SECRET", "0123456789abcdef"),
    ];
    let signup = SendCommand {
        purpose: Purpose::Signup,
        ..send_command("member@example.com")
    };
    let protected = World::new(&directory);
    // A dropped connection is retried once; a timeout is not.
    protected.transport.answer(vec![
        Err(TransportError::Network),
        json_reply(r#"{"exists":true}"#),
    ]);
    let sent = block_on(send_code(&protected.deps(), signup.clone(), T0)).unwrap();
    assert_eq!(sent.provider, None, "looks sent, is not");
    assert_eq!(sent.destination.masked(), "mem***@example.com");
    assert_eq!(
        *protected.transport.sleeps.borrow(),
        [crate::delivery::failover::FIRST_WAIT_MS],
        "and takes as long as a delivery would"
    );
    assert_eq!(
        protected.transport.requests.borrow().len(),
        2,
        "only the directory was asked (twice)"
    );
    protected.transport.answer(vec![
        Err(TransportError::Timeout),
        json_reply(r#"{"exists":true}"#),
    ]);
    let again = block_on(send_code(&protected.deps(), signup.clone(), T0 + 100));
    assert!(matches!(again, Err(ApiError::ServiceUnavailable { .. })));
    // A new account whose delivery fails answers like a withheld send (a 503 would
    // tell the account apart), and may ask again at once.
    let fresh = SendCommand {
        purpose: signup.purpose,
        ..send_command("fresh@example.com")
    };
    let failing = vec![json_reply(r#"{"exists":false}"#)]
        .into_iter()
        .chain((0..4).map(|_| status(500)))
        .collect();
    protected.transport.answer(failing);
    let quiet = block_on(send_code(&protected.deps(), fresh.clone(), T0 + 200)).unwrap();
    assert!(quiet.quiet_failure && quiet.provider.is_none());
    protected
        .transport
        .answer(vec![json_reply(r#"{"exists":false}"#)]);
    assert!(
        block_on(send_code(&protected.deps(), fresh, T0 + 201)).is_ok(),
        "no cooldown kept"
    );
    let mut open = directory.to_vec();
    open.push(("ENUMERATION_PROTECTION", "off"));
    let unprotected = World::new(&open);
    unprotected
        .transport
        .answer(vec![json_reply(r#"{"exists":true}"#)]);
    assert_eq!(
        block_on(send_code(&unprotected.deps(), signup.clone(), T0)).err(),
        Some(ApiError::UserExists)
    );
    unprotected
        .transport
        .answer(vec![json_reply(r#"{"exists":false}"#)]);
    let reset = SendCommand {
        purpose: Purpose::ResetPassword,
        ..send_command("nobody@example.com")
    };
    assert_eq!(
        block_on(send_code(&unprotected.deps(), reset, T0)).err(),
        Some(ApiError::UserNotFound)
    );
    unprotected.transport.answer(vec![Ok(HttpReply {
        status: 500,
        body: String::new(),
    })]);
    assert!(matches!(
        block_on(send_code(&unprotected.deps(), signup, T0)),
        Err(ApiError::ServiceUnavailable { .. })
    ));
}

#[test]
fn daily_spend_ceiling() {
    let w = World::new(&[("SMS_DAILY_CAP", "2")]);
    assert!(w.send("+14155550100", T0).is_ok());
    assert!(w.send("+14155550200", T0).is_ok());
    let midnight = T0 - T0 % 86_400 + 86_400;
    assert_eq!(
        w.send("+14155550300", T0).err(),
        Some(ApiError::SpendCeiling {
            retry_after: midnight - T0
        })
    );
    assert_eq!(w.transport.requests.borrow().len(), 2);
    assert!(
        w.send("a@example.com", T0).is_ok(),
        "email has its own ceiling"
    );
    // The refused destination got its cooldown back, and the ceiling opens at midnight.
    let destination = w.config.keys.destination_id("+14155550300");
    let policy = w.config.destination_policy();
    let reserve = crate::policy::state::StateOp::Send {
        destination,
        policy,
        code: "another".into(),
        expires_at: T0 + 601,
        captcha: None,
        now: T0 + 1,
    };
    use crate::policy::state::State;
    assert_eq!(
        block_on(w.kv.gate(reserve)),
        Ok(crate::policy::limits::Gate::Open)
    );
    assert!(w.send("+14155550300", midnight).is_ok());
}

#[test]
fn calling_code_and_number_block_caps() {
    let w = World::new(&[
        ("CALLING_CODE_HOURLY_CAP", "2"),
        ("NUMBER_BLOCK_HOURLY_CAP", "1"),
    ]);
    assert!(w.send("+14155550100", T0).is_ok());
    let hour_end = T0 - T0 % 3600 + 3600;
    // Same block of 1,000 numbers (+1415555 0xxx without the last three digits).
    assert_eq!(
        w.send("+14155550199", T0).err(),
        Some(ApiError::RateLimited {
            retry_after: hour_end - T0
        })
    );
    assert!(w.send("+14155559999", T0).is_ok(), "another block");
    assert_eq!(
        w.send("+12125550100", T0).err(),
        Some(ApiError::RateLimited {
            retry_after: hour_end - T0
        }),
        "the calling code +1 has had its 2 this hour"
    );
    assert!(w.send("+8613800138000", T0).is_ok(), "another calling code");
    assert!(w.send("+12125550100", hour_end).is_ok(), "the next hour");
}

/// `TEST_DESTINATIONS`: the fixed code verifies, nothing is delivered or spent, and
/// every other guarantee still holds (attempts, single use, cooldown).
#[test]
fn test_destinations_deliver_nothing_and_keep_every_guarantee() {
    let w = World::new(&[
        (
            "TEST_DESTINATIONS",
            "+1 555 555 0100=424242, Review@Example.com=1357902468",
        ),
        ("SMS_DAILY_CAP", "1"),
    ]);
    let sent = w.send("+15555550100", T0).unwrap();
    assert!(sent.test && sent.provider.is_none());
    assert!(
        w.transport.requests.borrow().is_empty(),
        "nothing delivered"
    );
    assert!(
        w.send("+14155550100", T0).is_ok(),
        "the one SMS of the day's ceiling was not spent on the test number"
    );
    assert_eq!(
        w.send("+15555550100", T0 + 1).err(),
        Some(ApiError::RateLimited { retry_after: 59 }),
        "the cooldown holds"
    );
    for _ in 0..4 {
        assert!(w.check(&sent.verification_id, "000000", T0 + 2).is_err());
    }
    let approved = w.check(&sent.verification_id, "424242", T0 + 3).unwrap();
    let payload =
        crate::core::base64url::decode(approved.verified_token.split('.').nth(1).unwrap()).unwrap();
    assert!(String::from_utf8(payload)
        .unwrap()
        .contains(r#""test":true"#));
    assert_eq!(
        w.check(&sent.verification_id, "424242", T0 + 4).err(),
        Some(ApiError::AlreadyUsed)
    );
    // An email test destination, its case folded; a code of its own length.
    let mail = w.send("review@example.com", T0).unwrap();
    assert!(mail.test);
    assert!(w.check(&mail.verification_id, "1357902468", T0 + 1).is_ok());
    // Five wrong codes kill a test code like any other.
    let other = World::new(&[("TEST_DESTINATIONS", "+15555550100=424242")]);
    let sent = other.send("+15555550100", T0).unwrap();
    for _ in 0..5 {
        assert!(other
            .check(&sent.verification_id, "000000", T0 + 1)
            .is_err());
    }
    assert_eq!(
        other.check(&sent.verification_id, "424242", T0 + 2).err(),
        Some(ApiError::TooManyAttempts)
    );
}

/// Each step of a verification's life records one event, with no code, token or
/// full destination in it.
#[test]
fn lifecycle_events() {
    let w = World::new(&[("MAX_ATTEMPTS", "2")]);
    let sent = w.send("life@example.com", T0).unwrap();
    let code = w.transport.last_code();
    assert_eq!(
        w.send("life@example.com", T0 + 1).err(),
        Some(ApiError::RateLimited { retry_after: 59 })
    );
    assert!(w.check(&sent.verification_id, "000000", T0 + 2).is_err());
    assert!(w.check(&sent.verification_id, &code, T0 + 3).is_ok());
    let other = w.send("life2@example.com", T0).unwrap();
    for _ in 0..2 {
        assert!(w.check(&other.verification_id, "000000", T0 + 4).is_err());
    }
    assert!(w.check(&other.verification_id, "000000", T0 + 700).is_err());
    let events = w.events.borrow();
    let kinds: Vec<_> = events.iter().map(|e| (e.kind, e.outcome)).collect();
    assert_eq!(
        kinds,
        [
            ("verification.sent", "sent"),
            ("verification.blocked", "rate_limited"),
            ("verification.failed", "invalid_code"),
            ("verification.approved", "approved"),
            ("verification.sent", "sent"),
            ("verification.failed", "invalid_code"),
            ("verification.exhausted", "too_many_attempts"),
            ("verification.expired", "expired"),
        ]
    );
    let text = serde_json::to_string(&*events).unwrap();
    assert!(
        !text.contains(&code) && !text.contains("life@") && !text.contains(&sent.verification_id)
    );
    assert_eq!(events[0].to.as_deref(), Some("lif***@example.com"));
    assert_eq!(events[0].verification, events[3].verification);
}
