//! Each dialect driven through its routes with the seeds' own example requests,
//! over the in-memory world of the service tests: one `check` helper compares the
//! status, a header and the body, where `"*"` in an expected body means "any
//! non-empty string" (tokens differ on every run).

use super::*;
use crate::ports::kv::memory::block_on;
use crate::ports::{HttpReply, TransportError};
use crate::service::tests::{json_reply, status, World};
use crate::surface::api::{self, Route};
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
    let (path, query) = call.path.split_once('?').unwrap_or((call.path, ""));
    let head = RequestHead {
        method: call.method.into(),
        path: path.into(),
        query: query.into(),
        headers: call
            .headers
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
    };
    let route = Route::resolve(call.method, path).expect("a dialect route");
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
        matches(&expected.1, &reply.body.to_serde()),
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
        (200, json!({"verification_token": "*", "expires_in": 600})),
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
    let grant = |otp: &str| json!({"grant_type": ciam::SMS_GRANT, "client_id": "TENANT_CLIENT_ID", "client_secret": "TENANT_CLIENT_SECRET", "otp_token": sent.body["otp_token"], "otp": otp, "phone_number": "13612345678"});
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
    let email_grant_for_sms = json!({"grant_type": ciam::EMAIL_GRANT, "client_id": "TENANT_CLIENT_ID", "client_secret": "TENANT_CLIENT_SECRET", "otp_token": sent.body["otp_token"], "otp": code, "email": "a@example.com"});
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
        (reply.status, reply.body["error_code"].to_serde()),
        (415, json!(4150))
    );
    let reply = error_reply(DialectRoute::CiamToken, &ApiError::PayloadTooLarge);
    assert_eq!(reply.body["error"], "invalid_request");
}

#[test]
fn huawei_meeting_seed_examples() {
    let world = World::new(&[]);
    let put = |body| Call {
        method: "PUT",
        path: "/v1/usg/acs/verifycode/check",
        headers: &[],
        body,
    };
    // "Example Request" of seed 000 (with a real number in place of the masked one).
    check(
        &world,
        &post(
            "/v1/usg/acs/verifycode/send",
            &[],
            json!({"token": "R7PE9vsaEUHjiLsraWTF3WQhmBet16SbI", "user": "+8613612349209"}),
        ),
        T0,
        (
            200,
            json!({"expire": 600, "bindPhone": "+86136****9209", "bindEmail": null}),
        ),
    );
    let code = world.transport.last_code();
    // "Example Request" of seed 001: only code and user.
    let wrong = format!("{:06}", (code.parse::<u32>().unwrap() + 1) % 1_000_000);
    check(
        &world,
        &put(json!({"code": wrong, "user": "+8613612349209"})),
        T0 + 3,
        (
            400,
            json!({"error_code": "USG.INVALID_VERIFY_CODE", "error_msg": "验证码错误"}),
        ),
    );
    check(
        &world,
        &put(json!({"code": code, "user": "+8613612349209"})),
        T0 + 4,
        (200, json!({"token": "*", "expire": 300})),
    );
    check(
        &world,
        &put(json!({"code": code, "user": "+8613612349209"})),
        T0 + 5,
        (
            400,
            json!({"error_code": "USG.VERIFY_CODE_USED", "error_msg": "验证码已使用"}),
        ),
    );
    check(
        &world,
        &put(json!({"code": code, "user": "+8613612340000"})),
        T0 + 5,
        (
            400,
            json!({"error_code": "USG.NO_PENDING_CODE", "error_msg": "没有待验证的验证码"}),
        ),
    );
    // Email, English, and the seed's email mask.
    let english = [("accept-language", "en-US")];
    check(
        &world,
        &post(
            "/v1/usg/acs/verifycode/send",
            &english,
            json!({"user": "test.account@huawei.com", "sendMethod": "email"}),
        ),
        T0,
        (
            200,
            json!({"expire": 600, "bindPhone": null, "bindEmail": "tes****ount@huawei.com"}),
        ),
    );
    check(
        &world,
        &post(
            "/v1/usg/acs/verifycode/send",
            &english,
            json!({"user": "test.account@huawei.com", "sendMethod": "sms"}),
        ),
        T0,
        (
            400,
            json!({"error_code": "USG.INVALID_PARAMETER", "error_msg": "The channel does not match the destination."}),
        ),
    );
    let limited = check(
        &world,
        &post(
            "/v1/usg/acs/verifycode/send",
            &english,
            json!({"user": "test.account@huawei.com", "sendMethod": "email"}),
        ),
        T0 + 1,
        (
            400,
            json!({"error_code": "USG.SEND_TOO_FREQUENT", "error_msg": "Too many requests; retry later."}),
        ),
    );
    assert_eq!(limited.headers, vec![("retry-after", "59".to_owned())]);
}

#[test]
fn huawei_meeting_user_as_an_account() {
    let world = World::new(&[
        ("DIRECTORY", "http"),
        ("DIRECTORY_URL", "https://app.example/directory"),
        ("DIRECTORY_SECRET", "0123456789abcdef"),
    ]);
    let send = |user: &str, method: &str| {
        post(
            "/v1/usg/acs/verifycode/send",
            &[],
            json!({"user": user, "sendMethod": method}),
        )
    };
    let contacts = r#"{"phone":null,"email":"test.account@huawei.com"}"#;
    // The directory resolves "alice" to her email; the seed's mask comes back.
    world.transport.answer(vec![json_reply(contacts)]);
    check(
        &world,
        &send("alice", "email"),
        T0,
        (
            200,
            json!({"expire": 600, "bindPhone": null, "bindEmail": "tes****ount@huawei.com"}),
        ),
    );
    let asked = world.transport.requests.borrow()[0].clone();
    assert_eq!(asked.url, "https://app.example/directory");
    assert_eq!(asked.body, r#"{"account":"alice"}"#);
    let code = world.transport.last_code();
    // Checked by the account name: the pending code is found through its contacts.
    world.transport.answer(vec![json_reply(contacts)]);
    check(
        &world,
        &Call {
            method: "PUT",
            path: "/v1/usg/acs/verifycode/check",
            headers: &[],
            body: json!({"code": code, "user": "alice"}),
        },
        T0 + 2,
        (200, json!({"token": "*", "expire": 300})),
    );
    // No phone on file for an SMS; an unknown account; a directory that is down.
    world.transport.answer(vec![json_reply(contacts)]);
    check(
        &world,
        &send("alice", "sms"),
        T0 + 3,
        (
            400,
            json!({"error_code": "USG.INVALID_PARAMETER", "error_msg": "参数错误"}),
        ),
    );
    // An unknown account: with enumeration protection (the default) it looks sent,
    // with a masked number derived from the name; without, USG.USER_NOT_FOUND.
    world
        .transport
        .answer(vec![json_reply(r#"{"phone":null,"email":null}"#)]);
    let decoy = check(
        &world,
        &send("mallory", "sms"),
        T0 + 3,
        (
            200,
            json!({"expire": 600, "bindPhone": "*", "bindEmail": null}),
        ),
    );
    let masked = decoy.body["bindPhone"].as_str().unwrap();
    assert!(
        masked.starts_with("+861") && masked.contains("****"),
        "{masked}"
    );
    let open = World::new(&[
        ("DIRECTORY", "http"),
        ("DIRECTORY_URL", "https://app.example/directory"),
        ("DIRECTORY_SECRET", "0123456789abcdef"),
        ("ENUMERATION_PROTECTION", "off"),
    ]);
    open.transport
        .answer(vec![json_reply(r#"{"phone":null,"email":null}"#)]);
    check(
        &open,
        &send("mallory", "sms"),
        T0 + 3,
        (
            400,
            json!({"error_code": "USG.USER_NOT_FOUND", "error_msg": "用户不存在"}),
        ),
    );
    world.transport.answer(vec![status(500), status(500)]);
    check(
        &world,
        &send("alice", "sms"),
        T0 + 3,
        (
            500,
            json!({"error_code": "USG.SERVER_ERROR", "error_msg": "服务器异常"}),
        ),
    );
    // Without a directory an account name is a malformed user, as is a bad number.
    for (world, user) in [(&World::new(&[]), "alice"), (&world, "+86123")] {
        check(
            world,
            &send(user, "sms"),
            T0 + 4,
            (
                400,
                json!({"error_code": "USG.INVALID_USER", "error_msg": "手机号或邮箱格式错误"}),
            ),
        );
    }
}

#[test]
fn huawei_bss_seed_examples() {
    let token = "MIIPAgYJKoZIhvcNAQcCo...ggg1BBIINPXsidG9rZ";
    let world = World::new(&[("BSS_AUTH_TOKENS", token), ("CODE_TTL_MAX", "3600")]);
    let auth = [("x-auth-token", token)];
    // "Example Request" (with a real address): 204 No Content.
    check(
        &world,
        &post(
            "/v2/bases/verificationcode/send",
            &auth,
            json!({"receiver_type": 2, "timeout": 5, "email": "someone@163.com", "lang": "en-us"}),
        ),
        T0,
        (204, Value::Null),
    );
    let code = world.transport.last_code();
    // The code is checked through the Meeting check (user + code), as a signup code.
    let checked = check(
        &world,
        &Call {
            method: "PUT",
            path: "/v1/usg/acs/verifycode/check",
            headers: &[],
            body: json!({"code": code, "user": "someone@163.com"}),
        },
        T0 + 60,
        (200, json!({"token": "*", "expire": 300})),
    );
    assert_eq!(checked.status, 200);
    let bss = |body: Value, now| {
        run(
            &world,
            &post("/v2/bases/verificationcode/send", &auth, body),
            now,
        )
    };
    // timeout: absent → 10 minutes; above 60 → 5 minutes.
    bss(json!({"receiver_type": 2, "email": "ten@163.com"}), T0);
    bss(
        json!({"receiver_type": 2, "email": "five@163.com", "timeout": 61, "lang": null}),
        T0,
    );
    let ttl_of = |to: &str| {
        let requests = world.transport.requests.borrow();
        let body: Value = requests
            .iter()
            .rev()
            .map(|r| serde_json::from_str::<Value>(&r.body).unwrap())
            .find(|b| b["to"] == to)
            .unwrap();
        body["body"].as_str().unwrap().to_owned()
    };
    assert!(
        ttl_of("ten@163.com").contains("10分钟"),
        "{}",
        ttl_of("ten@163.com")
    );
    assert!(ttl_of("five@163.com").contains("5分钟"));
    // The seed's errors.
    let errors: &[(Value, u16, &str)] = &[
        (
            json!({"receiver_type": 1, "email": "a@163.com"}),
            400,
            "CBC.0100",
        ),
        (
            json!({"receiver_type": 2, "email": "a@163.com", "timeout": 0}),
            400,
            "CBC.0100",
        ),
        (
            json!({"receiver_type": 2, "email": "a@163.com", "lang": "fr"}),
            400,
            "CBC.0100",
        ),
        (
            json!({"receiver_type": 2, "email": ""}),
            400,
            "CBC.99004004",
        ),
        (
            json!({"receiver_type": 2, "email": "not-an-email"}),
            400,
            "CBC.99004004",
        ),
        (
            json!({"receiver_type": 2, "email": format!("{}@163.com", "a".repeat(60))}),
            400,
            "CBC.99004004",
        ),
        (
            json!({"receiver_type": 2, "email": "someone@163.com"}),
            400,
            "CBC.99004015",
        ),
    ];
    for (body, status, code) in errors {
        let reply = bss(body.clone(), T0 + 1);
        assert_eq!(
            (reply.status, reply.body["error_code"].as_str()),
            (*status, Some(*code)),
            "{body}"
        );
    }
    let reply = run(
        &world,
        &post(
            "/v2/bases/verificationcode/send",
            &[("x-auth-token", "forged-token-0000")],
            json!({"receiver_type": 2, "email": "a@163.com"}),
        ),
        T0,
    );
    assert_eq!(
        (reply.status, reply.body.to_serde()),
        (
            401,
            json!({"error_code": "CBC.0154", "error_msg": "Invalid or expired token."})
        )
    );
    let closed = World::new(&[]);
    let reply = run(
        &closed,
        &post(
            "/v2/bases/verificationcode/send",
            &auth,
            json!({"receiver_type": 2, "email": "a@163.com"}),
        ),
        T0,
    );
    assert_eq!(
        (reply.status, reply.body.to_serde()),
        (
            403,
            json!({"error_code": "CBC.0151", "error_msg": "Access denied."})
        )
    );
    // Delivery failure: CBC.99004003.
    let failing = World::new(&[
        ("BSS_AUTH_TOKENS", token),
        ("EMAIL_PROVIDERS", "webhook"),
        ("WEBHOOK_URL", "https://hooks.example/otp"),
        ("WEBHOOK_SECRET", "0123456789abcdef"),
    ]);
    failing.transport.answer(vec![status(500), status(500)]);
    let reply = run(
        &failing,
        &post(
            "/v2/bases/verificationcode/send",
            &auth,
            json!({"receiver_type": 2, "email": "a@163.com"}),
        ),
        T0,
    );
    assert_eq!(
        (reply.status, reply.body["error_code"].as_str()),
        (400, Some("CBC.99004003"))
    );
}

/// Huawei's SDK signs BSS calls with AK/SK and adds its own model fields; a server
/// partner is counted by its credentials, not by its one IP.
#[test]
fn huawei_bss_sdk_requests() {
    use crate::core::hex;
    use crate::core::keys::hmac_sha256;
    use crate::delivery::provider::sigv4::{amz_date, sha256_hex};
    const AK: &str = "HUAWEIAKEXAMPLE0";
    const SK: &str = "huawei-sk-example-0123456789";
    let world = World::new(&[("BSS_ACCESS_KEYS", &format!("{AK}:{SK}"))]);
    let path = "/v2/bases/verificationcode/send";
    // The SDK's signing, written out: canonical request, string to sign, HMAC.
    let signed = |body: &Value, now: u64, secret: &str| -> Vec<(String, String)> {
        let date = amz_date(now).0;
        let body = body.to_string();
        let canonical = format!(
            "POST\n{path}/\n\ncontent-type:application/json\nhost:bss.example.com\nx-sdk-date:{date}\n\ncontent-type;host;x-sdk-date\n{}",
            sha256_hex(body.as_bytes())
        );
        let to_sign = format!(
            "SDK-HMAC-SHA256\n{date}\n{}",
            sha256_hex(canonical.as_bytes())
        );
        let signature = hex::encode(&hmac_sha256(secret.as_bytes(), to_sign.as_bytes()));
        vec![
            ("content-type".into(), "application/json".into()),
            ("host".into(), "bss.example.com".into()),
            ("x-sdk-date".into(), date),
            ("cf-connecting-ip".into(), "203.0.113.9".into()),
            (
                "authorization".into(),
                format!("SDK-HMAC-SHA256 Access={AK}, SignedHeaders=content-type;host;x-sdk-date, Signature={signature}"),
            ),
        ]
    };
    let send = |email: String, now: u64, secret: &str| {
        let body = json!({
            "receiver_type": 2, "email": email, "timeout": 45, "lang": "en-US",
            "scene": "REGISTER", "customer_id": "c-1", "mobile_phone": null,
        });
        let headers: Vec<(String, String)> = signed(&body, now, secret);
        let headers: Vec<(&str, &str)> = headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        run(&world, &post(path, &headers, body), now)
    };
    // 30 sends in an hour from one IP: the partner's quota, not the IP cap of 10.
    for i in 0..30 {
        let reply = send(format!("user{i}@163.com"), T0 + i, SK);
        assert_eq!(reply.status, 204, "{i}: {}", reply.body);
    }
    let last: Value =
        serde_json::from_str(&world.transport.requests.borrow().last().unwrap().body).unwrap();
    assert!(
        last["body"].as_str().unwrap().contains("45 min"),
        "45 minutes honoured: {}",
        last["body"]
    );
    let forged = send("forged@163.com".into(), T0, "another-secret-0123456789");
    assert_eq!(
        (forged.status, forged.body["error_code"].to_serde()),
        (401, json!("CBC.0154"))
    );
    // No X-Auth-Token is accepted when only AK/SK pairs are configured.
    let token = run(
        &world,
        &post(
            path,
            &[("x-auth-token", "any-token-at-all-000")],
            json!({"receiver_type": 2, "email": "t@163.com"}),
        ),
        T0,
    );
    assert_eq!(token.status, 401);
}

/// With CLIENTS set, every door needs credentials, codes belong to the client that
/// asked, and the verified token names it (`azp`, and its own `aud` when it has one).
#[test]
fn every_door_is_locked_and_codes_belong_to_their_client() {
    use crate::core::base64url;
    let world = World::new(&[("CLIENTS", "web:web-secret-0123:web-app,ios:ios-secret-0123")]);
    let native = |path: &str, auth: Option<&str>, body: Value| {
        let mut headers = vec![("content-type".to_owned(), "application/json".to_owned())];
        if let Some(auth) = auth {
            headers.push(("authorization".to_owned(), auth.to_owned()));
        }
        let head = RequestHead {
            method: "POST".into(),
            path: path.into(),
            headers,
            ..RequestHead::default()
        };
        let route = Route::resolve("POST", path).unwrap();
        block_on(api::handle(
            route,
            &head,
            body.to_string().as_bytes(),
            &world.deps(),
            T0,
        ))
    };
    let (web, ios) = ("Bearer web-secret-0123", "Bearer ios-secret-0123");
    assert_eq!(
        native("/v1/verifications", None, json!({"to": "a@example.com"})).err(),
        Some(ApiError::Unauthorized)
    );
    let sent = native(
        "/v1/verifications",
        Some(web),
        json!({"to": "a@example.com"}),
    )
    .unwrap();
    let code = world.transport.last_code();
    let id = sent.body["verification_id"].clone();
    assert_eq!(
        native(
            "/v1/verifications/check",
            Some(ios),
            json!({"verification_id": id, "code": code})
        )
        .err(),
        Some(ApiError::InvalidVerification),
        "another client's code"
    );
    let approved = native(
        "/v1/verifications/check",
        Some(web),
        json!({"verification_id": id, "code": code}),
    )
    .unwrap();
    let token = approved.body["verified_token"].as_str().unwrap();
    let claims: Value =
        serde_json::from_slice(&base64url::decode(token.split('.').nth(1).unwrap()).unwrap())
            .unwrap();
    assert_eq!(
        (claims["azp"].as_str(), claims["aud"].as_str()),
        (Some("web"), Some("web-app"))
    );
    // The dialects' doors: nothing is sent without credentials.
    let before = world.transport.requests.borrow().len();
    for call in [
        post(
            "/auth/v1/verification",
            &[],
            json!({"email": "b@example.com", "target": "ANY"}),
        ),
        post(
            "/v1/usg/acs/verifycode/send",
            &[],
            json!({"user": "b@example.com"}),
        ),
    ] {
        assert_eq!(run(&world, &call, T0).status, 401, "{}", call.path);
    }
    assert_eq!(
        world.transport.requests.borrow().len(),
        before,
        "nothing delivered"
    );
    let ok = run(
        &world,
        &post(
            "/auth/v1/verification",
            &[("authorization", "Bearer web-secret-0123")],
            json!({"email": "b@example.com", "target": "ANY"}),
        ),
        T0,
    );
    assert_eq!(ok.status, 200);
    // A dialect that is not served answers 404.
    let off = World::new(&[("DIALECTS", "ciam")]);
    let head = RequestHead {
        method: "POST".into(),
        path: "/auth/v1/verification".into(),
        ..RequestHead::default()
    };
    let route = Route::resolve("POST", "/auth/v1/verification").unwrap();
    assert_eq!(
        block_on(api::handle(route, &head, b"{}", &off.deps(), T0)).err(),
        Some(ApiError::NotFound)
    );
}

/// `GET /v1/verifications/{id}` and `POST …/cancel`, for the client that sent it;
/// the send reply states the code's length.
#[test]
fn status_and_cancel() {
    let world = World::new(&[("CLIENTS", "web:web-secret-0123,ios:ios-secret-0123")]);
    let call = |method: &str, path: &str, auth: &str, body: Option<Value>, now| {
        let head = RequestHead {
            method: method.into(),
            path: path.into(),
            headers: vec![
                ("content-type".to_owned(), "application/json".to_owned()),
                ("authorization".to_owned(), auth.to_owned()),
            ],
            ..RequestHead::default()
        };
        let route = Route::resolve(method, path).unwrap();
        let body = body.map(|b| b.to_string()).unwrap_or_default();
        block_on(api::handle(
            route,
            &head,
            body.as_bytes(),
            &world.deps(),
            now,
        ))
    };
    let web = "Bearer web-secret-0123";
    let sent = call(
        "POST",
        "/v1/verifications",
        web,
        Some(json!({"to": "s@example.com"})),
        T0,
    )
    .unwrap();
    assert_eq!(sent.body["code_length"], 6);
    let id = sent.body["verification_id"].as_str().unwrap().to_owned();
    let code = world.transport.last_code();
    let status = |auth: &str, now| call("GET", &format!("/v1/verifications/{id}"), auth, None, now);
    let body = status(web, T0 + 1).unwrap().body;
    assert_eq!(
        (body["status"].as_str(), body["attempts_remaining"].as_u64()),
        (Some("pending"), Some(5))
    );
    assert_eq!(
        status("Bearer ios-secret-0123", T0 + 1).err(),
        Some(ApiError::InvalidVerification),
        "another client's"
    );
    let check = |code: &str, now| {
        call(
            "POST",
            "/v1/verifications/check",
            web,
            Some(json!({"verification_id": id, "code": code})),
            now,
        )
    };
    assert!(check("000000", T0 + 2).is_err());
    assert_eq!(status(web, T0 + 3).unwrap().body["attempts_remaining"], 4);
    let canceled = call(
        "POST",
        &format!("/v1/verifications/{id}/cancel"),
        web,
        None,
        T0 + 4,
    )
    .unwrap();
    assert_eq!(canceled.body["status"], "canceled");
    assert_eq!(
        check(&code, T0 + 5).err(),
        Some(ApiError::Expired),
        "a canceled code verifies nothing"
    );
    assert_eq!(status(web, T0 + 6).unwrap().body["status"], "canceled");
    assert_eq!(status(web, T0 + 601).unwrap().body["status"], "expired");
    // An approved code stays approved when canceled after.
    let sent = call(
        "POST",
        "/v1/verifications",
        web,
        Some(json!({"to": "t@example.com"})),
        T0,
    )
    .unwrap();
    let id = sent.body["verification_id"].as_str().unwrap().to_owned();
    let code = world.transport.last_code();
    call(
        "POST",
        "/v1/verifications/check",
        web,
        Some(json!({"verification_id": id, "code": code})),
        T0 + 1,
    )
    .unwrap();
    let after = call(
        "POST",
        &format!("/v1/verifications/{id}/cancel"),
        web,
        None,
        T0 + 2,
    )
    .unwrap();
    assert_eq!(after.body["status"], "approved");
}
