//! Each dialect driven through its routes with the seeds' own example requests,
//! over the in-memory world of the service tests: one `check` helper compares the
//! status, a header and the body, where `"*"` in an expected body means "any
//! non-empty string" (tokens differ on every run).

use super::*;
use crate::api::{self, Route};
use crate::ports::{HttpReply, TransportError};
use crate::service::tests::{json_reply, status, World};
use crate::store::memory::block_on;
use serde_json::{json, Value};

const T0: u64 = 1_700_000_000;

fn matches(expected: &Value, got: &Value) -> bool {
    match (expected, got) {
        (Value::String(s), Value::String(g)) if s == "*" => !g.is_empty(),
        (Value::Object(e), Value::Object(g)) => {
            e.len() == g.len()
                && e.iter()
                    .all(|(k, v)| g.get(k).is_some_and(|gv| matches(v, gv)))
        }
        _ => expected == got,
    }
}

struct Call<'a> {
    method: &'a str,
    path: &'a str,
    headers: &'a [(&'a str, &'a str)],
    body: Value,
}

fn run(world: &World, call: &Call, now: u64) -> Reply {
    let head = RequestHead {
        method: call.method.into(),
        path: call.path.into(),
        headers: call
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
    };
    let route = Route::resolve(call.method, call.path).expect("a dialect route");
    let body = call.body.to_string();
    match block_on(api::handle(
        route,
        &head,
        body.as_bytes(),
        &world.deps(),
        now,
    )) {
        Ok(reply) => reply,
        Err(error) => panic!("dialect routes answer in their own shape, got {error:?}"),
    }
}

/// Runs `call` and compares the reply with (status, body pattern).
fn check(world: &World, call: &Call, now: u64, expected: (u16, Value)) -> Reply {
    let reply = run(world, call, now);
    assert_eq!(
        reply.status, expected.0,
        "{} {}: {}",
        call.method, call.path, reply.body
    );
    assert!(
        matches(&expected.1, &reply.body),
        "{} {}\nexpected {}\n     got {}",
        call.method,
        call.path,
        expected.1,
        reply.body
    );
    reply
}

fn post<'a>(path: &'a str, headers: &'a [(&'a str, &'a str)], body: Value) -> Call<'a> {
    Call {
        method: "POST",
        path,
        headers,
        body,
    }
}

#[test]
fn cloudbase_seed_examples() {
    let world = World::new(&[]);
    let ip = [("cf-connecting-ip", "203.0.113.1")];
    // "Send Phone Number Verification Code Request Example" → "Send Success Response Example".
    let sent = check(
        &world,
        &post(
            "/auth/v1/verification",
            &ip,
            json!({"phone_number": "+86 13800138000", "target": "ANY"}),
        ),
        T0,
        (200, json!({"verification_id": "*", "expires_in": 600})),
    );
    let code = world.transport.last_code();
    // "Send Frequency Too High Response Example" (the same number again at once).
    let again = check(
        &world,
        &post(
            "/auth/v1/verification",
            &ip,
            json!({"phone_number": "+86 13800138000", "target": "ANY"}),
        ),
        T0,
        (
            429,
            json!({"error": "rate_limit_exceeded", "error_code": 4029, "error_description": "Verification code send frequency too high, please try again in 60 seconds"}),
        ),
    );
    assert_eq!(again.headers, vec![("retry-after", "60".to_owned())]);
    // "Phone Number Format Error Response Example": CloudBase takes +86 numbers only.
    check(
        &world,
        &post(
            "/auth/v1/verification",
            &ip,
            json!({"phone_number": "+1 415 555 0100", "target": "ANY"}),
        ),
        T0,
        (
            400,
            json!({"error": "invalid_phone_number", "error_code": 4001, "error_description": "Phone number format error, needs +86 prefix"}),
        ),
    );
    check(
        &world,
        &post(
            "/auth/v1/verification",
            &ip,
            json!({"phone_number": "+86 13800138000", "email": "a@example.com", "target": "ANY"}),
        ),
        T0,
        (
            400,
            json!({"error": "invalid_argument", "error_code": 4000, "error_description": "*"}),
        ),
    );
    check(
        &world,
        &post(
            "/auth/v1/verification",
            &ip,
            json!({"email": "user@example.com", "target": "USER"}),
        ),
        T0,
        (
            400,
            json!({"error": "invalid_argument", "error_code": 4000, "error_description": "*"}),
        ),
    );
    // Verify (the vendor's /auth/v1/verification/verify): token, then replay refused.
    let verify =
        json!({"verification_id": sent.body["verification_id"], "verification_code": code});
    check(
        &world,
        &post("/auth/v1/verification/verify", &[], verify.clone()),
        T0 + 5,
        (200, json!({"verification_token": "*", "expires_in": 300})),
    );
    check(
        &world,
        &post("/auth/v1/verification/verify", &[], verify),
        T0 + 6,
        (
            409,
            json!({"error": "verification_used", "error_code": 4090, "error_description": "*"}),
        ),
    );
}

#[test]
fn cloudbase_captcha_and_directory() {
    let world = World::new(&[("CAPTCHA_MODE", "always"), ("TURNSTILE_SECRET", "ts")]);
    // "Image Verification Code Required Response Example".
    check(
        &world,
        &post(
            "/auth/v1/verification",
            &[],
            json!({"email": "user@example.com", "target": "ANY"}),
        ),
        T0,
        (
            403,
            json!({"error": "captcha_required", "error_code": 4028, "error_description": "Need to complete image verification code verification"}),
        ),
    );
    let directory = [
        ("DIRECTORY", "http"),
        ("DIRECTORY_URL", "https://app.example/exists"),
        ("DIRECTORY_SECRET", "0123456789abcdef"),
        ("ENUMERATION_PROTECTION", "off"),
    ];
    let world = World::new(&directory);
    // "Send Verification Code to Existing User Request Example" for a stranger →
    // "User Not Found Response Example".
    world
        .transport
        .answer(vec![json_reply(r#"{"exists":false}"#)]);
    check(
        &world,
        &post(
            "/auth/v1/verification",
            &[],
            json!({"email": "user@example.com", "target": "USER"}),
        ),
        T0,
        (
            404,
            json!({"error": "user_not_found", "error_code": 4004, "error_description": "User does not exist"}),
        ),
    );
    world
        .transport
        .answer(vec![json_reply(r#"{"exists":true}"#)]);
    check(
        &world,
        &post(
            "/auth/v1/verification",
            &[],
            json!({"email": "user@example.com", "target": "USER"}),
        ),
        T0,
        (
            200,
            json!({"verification_id": "*", "expires_in": 600, "is_user": true}),
        ),
    );
}

const CLIENT_AUTH: &str = "Basic VEVOQU5UX0NMSUVOVF9JRDpURU5BTlRfQ0xJRU5UX1NFQ1JFVA==";
const CLIENT4_AUTH: &str = "Basic Q0xJRU5UXzRfSUQ6Q0xJRU5UXzRfU0VDUkVU";

fn ciam_world(extra: &[(&str, &str)]) -> World {
    let mut vars = vec![
        (
            "CLIENTS",
            "TENANT_CLIENT_ID:TENANT_CLIENT_SECRET,CLIENT_4_ID:CLIENT_4_SECRET",
        ),
        (
            "CIAM_AUTH_SOURCES",
            "MOCK_SMS_OTP_AUTH_SOURCE_ID:6:60,MOCK_EMAIL_OTP_AUTH_SOURCE_ID:8:300",
        ),
    ];
    vars.extend_from_slice(extra);
    World::new(&vars)
}

#[test]
fn ciam_seed_examples() {
    let world = ciam_world(&[]);
    let tenant = [("authorization", CLIENT_AUTH)];
    let client4 = [("authorization", CLIENT4_AUTH)];
    // "Send SMS verification code for OTP login by SMS."
    let sent = check(
        &world,
        &post(
            "/otp/send",
            &tenant,
            json!({"usage": "login", "phone_number": "13612345678", "auth_source_id": "MOCK_SMS_OTP_AUTH_SOURCE_ID"}),
        ),
        T0,
        (200, json!({"otp_token": "*"})),
    );
    let code = world.transport.last_code();
    assert_eq!(code.len(), 6);
    // "Send email verification code for OTP login by email." (this source: 8 digits)
    check(
        &world,
        &post(
            "/otp/send",
            &client4,
            json!({"usage": "login", "email": "MOCK_USERNAME@example.com", "auth_source_id": "MOCK_EMAIL_OTP_AUTH_SOURCE_ID"}),
        ),
        T0,
        (200, json!({"otp_token": "*"})),
    );
    assert_eq!(world.transport.last_code().len(), 8);
    // The seed's error examples.
    check(
        &world,
        &post(
            "/otp/send",
            &tenant,
            json!({"usage": "login", "phone_number": "1361234567"}),
        ),
        T0,
        (400, json!({"error": "malformed_phone_number"})),
    );
    check(
        &world,
        &post(
            "/otp/send",
            &tenant,
            json!({"usage": "login", "email": "MOCK_USERNAME@"}),
        ),
        T0,
        (400, json!({"error": "malformed_email"})),
    );
    check(
        &world,
        &post(
            "/otp/send",
            &tenant,
            json!({"usage": "login", "phone_number": "13612345678"}),
        ),
        T0 + 1,
        (
            400,
            json!({"error": "sms_rate_limit_exceeded", "error_description": "SMS rate limit exceeded for same phone number"}),
        ),
    );
    check(
        &world,
        &post(
            "/otp/send",
            &[("authorization", "Basic d3Jvbmc6Y3JlZGVudGlhbHM=")],
            json!({"phone_number": "13612345679"}),
        ),
        T0,
        (
            401,
            json!({"error": "invalid_client", "error_description": "*"}),
        ),
    );
    // Token exchange with the OTP grant for SMS.
    let grant = |otp: &str| json!({"grant_type": ciam::SMS_GRANT, "client_id": "TENANT_CLIENT_ID", "otp_token": sent.body["otp_token"], "otp": otp, "phone_number": "13612345678"});
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    check(
        &world,
        &post("/oauth2/token", &[], grant(&wrong)),
        T0 + 5,
        (
            400,
            json!({"error": "invalid_grant", "error_description": "The OTP is incorrect; 4 attempts remain."}),
        ),
    );
    check(
        &world,
        &post("/oauth2/token", &[], grant(&code)),
        T0 + 6,
        (
            200,
            json!({"access_token": "*", "token_type": "Bearer", "expires_in": 300}),
        ),
    );
    check(
        &world,
        &post("/oauth2/token", &[], grant(&code)),
        T0 + 7,
        (
            400,
            json!({"error": "invalid_grant", "error_description": "*"}),
        ),
    );
    let email_grant_for_sms = json!({"grant_type": ciam::EMAIL_GRANT, "client_id": "TENANT_CLIENT_ID", "otp_token": sent.body["otp_token"], "otp": code, "email": "a@example.com"});
    check(
        &world,
        &post("/oauth2/token", &[], email_grant_for_sms),
        T0 + 8,
        (
            400,
            json!({"error": "invalid_grant", "error_description": "*"}),
        ),
    );
    check(
        &world,
        &post(
            "/oauth2/token",
            &[],
            json!({"grant_type": "password", "otp_token": "x", "otp": "1"}),
        ),
        T0,
        (400, json!({"error": "unsupported_grant_type"})),
    );
    let stranger = json!({"grant_type": ciam::SMS_GRANT, "client_id": "NOBODY", "otp_token": "x", "otp": "1", "phone_number": "13612345678"});
    check(
        &world,
        &post("/oauth2/token", &[], stranger),
        T0,
        (
            401,
            json!({"error": "invalid_client", "error_description": "*"}),
        ),
    );
}

#[test]
fn ciam_directory_and_delivery_errors() {
    let world = ciam_world(&[
        ("DIRECTORY", "http"),
        ("DIRECTORY_URL", "https://app.example/exists"),
        ("DIRECTORY_SECRET", "0123456789abcdef"),
        ("ENUMERATION_PROTECTION", "off"),
    ]);
    let tenant = [("authorization", CLIENT_AUTH)];
    world
        .transport
        .answer(vec![json_reply(r#"{"exists":true}"#)]);
    // "The mobile number has already been used for sign-up."
    check(
        &world,
        &post(
            "/otp/send",
            &tenant,
            json!({"usage": "signup", "phone_number": "13612345678"}),
        ),
        T0,
        (400, json!({"error": "phone_number_is_used"})),
    );
    world
        .transport
        .answer(vec![json_reply(r#"{"exists":true}"#)]);
    // "The email address has already been used for sign-up."
    check(
        &world,
        &post(
            "/otp/send",
            &tenant,
            json!({"usage": "signup", "email": "MOCK_USERNAME@example.com"}),
        ),
        T0,
        (400, json!({"error": "email_is_used"})),
    );
    // "Failed to send the verification code." (both attempts of the provider fail)
    let world = ciam_world(&[
        ("SMS_PROVIDERS", "webhook"),
        ("WEBHOOK_URL", "https://hooks.example/otp"),
        ("WEBHOOK_SECRET", "0123456789abcdef"),
    ]);
    world
        .transport
        .answer(vec![status(500), Err(TransportError::Timeout)]);
    let reply = check(
        &world,
        &post("/otp/send", &tenant, json!({"phone_number": "13612345678"})),
        T0,
        (
            503,
            json!({"error": "temporarily_unavailable", "error_description": "Failed to send OTP. Please try again later."}),
        ),
    );
    assert_eq!(reply.headers, vec![("retry-after", "30".to_owned())]);
    // "The email address does not exist or is on the blocklist." (the provider's 422)
    world.transport.answer(vec![Ok(HttpReply::new(422, ""))]);
    check(
        &world,
        &post(
            "/otp/send",
            &tenant,
            json!({"email": "blocked@example.com"}),
        ),
        T0,
        (400, json!({"error": "invalid_email"})),
    );
}

#[test]
fn routes_and_preconditions() {
    assert_eq!(
        DialectRoute::resolve("/otp/send").map(|r| r.0),
        Some(DialectRoute::CiamSend)
    );
    assert_eq!(DialectRoute::resolve("/nope"), None);
    // 415 on a dialect route comes back in the dialect's shape.
    let reply = error_reply(DialectRoute::CloudBaseSend, &ApiError::UnsupportedMediaType);
    assert_eq!(
        (reply.status, reply.body["error_code"].clone()),
        (415, json!(4150))
    );
    let reply = error_reply(DialectRoute::CiamToken, &ApiError::PayloadTooLarge);
    assert_eq!(reply.body["error"], "invalid_request");
}
