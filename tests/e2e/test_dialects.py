"""The vendor dialects through wrangler dev, with the seeds' request shapes."""

import base64
import itertools

import jwt
import pytest

from conftest import CIAM_CLIENT, verify_token

_mobile = itertools.count(13600000001)
SMS_GRANT = "http://tencentciam.com/oauth2/grant-type/otp/sms"


@pytest.fixture
def mainland():
    """An 11-digit mainland mobile number no other test uses."""
    return str(next(_mobile))


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


CIAM_AUTH = {"authorization": basic(*CIAM_CLIENT)}


def verified(token, worker):
    """The token's claims, verified with the public keys of the worker's JWKS."""
    return verify_token(worker, token)


# ---- Tencent CloudBase (seed 003) ------------------------------------------------

def test_cloudbase_send_and_verify(open_dialects, capture, ip, mainland):
    dialects = open_dialects
    r = dialects.request("POST", "/auth/v1/verification", {"phone_number": f"+86 {mainland}", "target": "ANY"},
                         {"cf-connecting-ip": ip})
    assert r.status == 200, r.json
    assert set(r.json) == {"verification_id", "expires_in"} and r.json["expires_in"] == 600
    code = capture.latest(f"+86{mainland}")["code"]
    v = dialects.request("POST", "/auth/v1/verification/verify",
                         {"verification_id": r.json["verification_id"], "verification_code": code})
    assert v.status == 200, v.json
    assert verified(v.json["verification_token"], dialects)["sub"] == f"+86{mainland}"
    again = dialects.request("POST", "/auth/v1/verification", {"phone_number": f"+86 {mainland}", "target": "ANY"},
                             {"cf-connecting-ip": ip})
    assert again.status == 429 and again.json == {
        "error": "rate_limit_exceeded", "error_code": 4029,
        "error_description": f"Verification code send frequency too high, please try again in {again.headers['retry-after']} seconds"}


def test_cloudbase_errors(open_dialects, capture, ip, email):
    dialects = open_dialects
    r = dialects.request("POST", "/auth/v1/verification", {"phone_number": "13800138000", "target": "ANY"}, {"cf-connecting-ip": ip})
    assert r.status == 400 and r.json["error"] == "invalid_phone_number" and r.json["error_code"] == 4001
    r = dialects.request("POST", "/auth/v1/verification", {"email": email, "target": "USER"}, {"cf-connecting-ip": ip})
    assert r.status == 404 and r.json == {"error": "user_not_found", "error_code": 4004, "error_description": "User does not exist"}
    capture.users.add(email)
    r = dialects.request("POST", "/auth/v1/verification", {"email": email, "target": "USER"}, {"cf-connecting-ip": ip})
    assert r.status == 200 and r.json["is_user"] is True
    for other in ("y-", "z-"):
        assert dialects.request("POST", "/auth/v1/verification", {"email": other + email, "target": "ANY"},
                                {"cf-connecting-ip": ip}).status == 200
    # The IP has had 3 sends this hour (the adaptive threshold): the next needs a captcha.
    r = dialects.request("POST", "/auth/v1/verification", {"email": "x-" + email, "target": "ANY"}, {"cf-connecting-ip": ip})
    assert r.status == 403 and r.json["error"] == "captcha_required" and r.json["error_code"] == 4028
    r = dialects.request("POST", "/auth/v1/verification", {"email": "x-" + email, "target": "ANY"},
                         {"cf-connecting-ip": ip, "x-captcha-token": "good-token"})
    assert r.status == 200, r.json
    r = dialects.request("POST", "/auth/v1/verification", raw=b"{}", headers={"content-type": "text/plain"})
    assert r.status == 415 and r.json["error_code"] == 4150


# ---- Tencent Cloud CIAM (seed 004) -----------------------------------------------

def test_ciam_otp_login_by_sms(dialects, capture, ip, mainland):
    r = dialects.request("POST", "/otp/send", {"usage": "login", "phone_number": mainland,
                                               "auth_source_id": "MOCK_SMS_OTP_AUTH_SOURCE_ID"},
                         {**CIAM_AUTH, "cf-connecting-ip": ip})
    assert r.status == 200 and set(r.json) == {"otp_token"}, r.json
    code = capture.latest(f"+86{mainland}")["code"]
    grant = {"grant_type": SMS_GRANT, "client_id": CIAM_CLIENT[0], "client_secret": CIAM_CLIENT[1],
             "otp_token": r.json["otp_token"], "phone_number": mainland}
    wrong = dialects.request("POST", "/oauth2/token", {**grant, "otp": f"{(int(code) + 1) % 1_000_000:06d}"})
    assert wrong.status == 400 and wrong.json["error"] == "invalid_grant"
    t = dialects.request("POST", "/oauth2/token", {**grant, "otp": code})
    assert t.status == 200 and t.json["token_type"] == "Bearer" and t.json["expires_in"] == 300
    claims = verified(t.json["access_token"], dialects)
    assert claims["sub"] == f"+86{mainland}" and claims["purpose"] == "login"
    again = dialects.request("POST", "/otp/send", {"usage": "login", "phone_number": mainland}, {**CIAM_AUTH, "cf-connecting-ip": ip})
    assert again.status == 400 and again.json == {"error": "sms_rate_limit_exceeded",
                                                  "error_description": "SMS rate limit exceeded for same phone number"}


def test_ciam_errors(dialects, capture, ip, mainland, email):
    send = lambda body, **h: dialects.request("POST", "/otp/send", body, {**CIAM_AUTH, "cf-connecting-ip": ip, **h})
    assert send({"phone_number": mainland[:-1]}).json == {"error": "malformed_phone_number"}
    assert send({"email": "MOCK_USERNAME@"}).json == {"error": "malformed_email"}
    capture.users.update({f"+86{mainland}", email})
    r = send({"usage": "signup", "phone_number": mainland})
    assert r.status == 400 and r.json == {"error": "phone_number_is_used"}
    r = send({"usage": "signup", "email": email})
    assert r.status == 400 and r.json == {"error": "email_is_used"}
    r = dialects.request("POST", "/otp/send", {"email": "ok-" + email}, {"authorization": basic("TENANT_CLIENT_ID", "wrong-secret-0000")})
    assert r.status == 401 and r.json["error"] == "invalid_client"
    capture.mode = "fail"
    try:
        r = dialects.request("POST", "/otp/send", {"email": "down-" + email}, {**CIAM_AUTH, "cf-connecting-ip": "198.18.9.9"})
    finally:
        capture.mode = "ok"
    assert r.status == 503 and r.json == {"error": "temporarily_unavailable",
                                          "error_description": "Failed to send OTP. Please try again later."}


def test_codes_never_cross_purposes(dialects, capture, ip, email):
    r = dialects.request("POST", "/otp/send", {"usage": "reset_password", "email": email}, {**CIAM_AUTH, "cf-connecting-ip": ip})
    assert r.status == 400 and r.json["error"] == "user_not_found"
    capture.users.add(email)
    r = dialects.request("POST", "/otp/send", {"usage": "reset_password", "email": email}, {**CIAM_AUTH, "cf-connecting-ip": ip})
    assert r.status == 200, r.json
    code = capture.latest(email)["code"]
    native = lambda **fields: dialects.request("POST", "/v1/verifications/check",
                                               {"verification_id": r.json["otp_token"], "code": code, **fields}, CIAM_AUTH)
    assert native(purpose="login").json["error"] == "invalid_verification"
    assert native(to="other-" + email).json["error"] == "invalid_verification"
    ok = native(purpose="reset_password", to=email)
    assert ok.status == 200 and ok.json["purpose"] == "reset_password"


# ---- Huawei Cloud Meeting (seeds 000, 001) and BSS (seed 002) -------------------

def test_meeting_send_then_check_by_user_and_code(open_dialects, capture, ip, mainland):
    dialects = open_dialects
    user = f"+86{mainland}"
    r = dialects.request("POST", "/v1/usg/acs/verifycode/send", {"token": "R7PE9vsaEUHjiLsraWTF3WQhmBet16SbI", "user": user},
                         {"cf-connecting-ip": ip})
    assert r.status == 200 and r.json == {"expire": 600, "bindPhone": f"+86{mainland[:3]}****{mainland[-4:]}", "bindEmail": None}
    code = capture.latest(user)["code"]
    check = lambda c: dialects.request("PUT", "/v1/usg/acs/verifycode/check", {"code": c, "user": user})
    wrong = check(f"{(int(code) + 1) % 1_000_000:06d}")
    assert wrong.status == 400 and wrong.json == {"error_code": "USG.INVALID_VERIFY_CODE", "error_msg": "验证码错误"}
    ok = check(code)
    assert ok.status == 200 and ok.json["expire"] == 300 and verified(ok.json["token"], dialects)["sub"] == user
    assert check(code).json["error_code"] == "USG.VERIFY_CODE_USED"
    english = dialects.request("POST", "/v1/usg/acs/verifycode/send", {"user": user}, {"cf-connecting-ip": ip, "accept-language": "en-US"})
    assert english.status == 400 and english.json["error_code"] == "USG.SEND_TOO_FREQUENT"
    assert english.json["error_msg"] == "Too many requests; retry later." and english.headers["retry-after"]
    assert dialects.request("GET", "/v1/usg/acs/verifycode/check").headers["allow"] == "PUT, OPTIONS"


def test_meeting_user_as_an_account(open_dialects, capture, ip, mainland, email):
    dialects = open_dialects
    account = "acct-" + mainland
    capture.accounts[account] = {"phone": f"+86{mainland}", "email": email}
    send = lambda body, **h: dialects.request("POST", "/v1/usg/acs/verifycode/send", body, {"cf-connecting-ip": ip, **h})
    r = send({"user": account, "sendMethod": "email"})
    local, domain = email.split("@")
    assert r.status == 200 and r.json == {"expire": 600, "bindPhone": None, "bindEmail": f"{local[:3]}****{local[-4:]}@{domain}"}
    assert {"account": account} in capture.directory_calls
    code = capture.latest(email)["code"]
    ok = dialects.request("PUT", "/v1/usg/acs/verifycode/check", {"code": code, "user": account})
    assert ok.status == 200 and verified(ok.json["token"], dialects)["sub"] == email
    r = send({"user": "nobody-" + mainland, "sendMethod": "sms"})
    assert r.status == 400 and r.json == {"error_code": "USG.USER_NOT_FOUND", "error_msg": "用户不存在"}
    r = dialects.request("PUT", "/v1/usg/acs/verifycode/check", {"code": code, "user": "nobody-" + mainland})
    assert r.status == 400 and r.json["error_code"] == "USG.USER_NOT_FOUND"
    r = send({"user": "+86123"}, **{"accept-language": "en-US"})
    assert r.status == 400 and r.json == {"error_code": "USG.INVALID_USER", "error_msg": "The phone number is not valid; use the international format, e.g. +14155550100."}


def test_meeting_captcha_and_delivery_failure(open_dialects, capture, ip, mainland):
    dialects = open_dialects
    send = lambda user, **h: dialects.request("POST", "/v1/usg/acs/verifycode/send", {"user": user, **h.pop("body", {})},
                                              {"cf-connecting-ip": ip, **h})
    for n in range(3):
        assert send(f"+86{int(mainland) + 10_000_000 * (n + 1)}").status == 200
    # Three sends from this IP this hour: the adaptive captcha now wants Meeting's `token`.
    user = f"+86{mainland}"
    r = send(user)
    assert r.status == 403 and r.json == {"error_code": "USG.CAPTCHA_REQUIRED", "error_msg": "需要先完成图形验证"}
    r = send(user, body={"token": "forged-token"})
    assert r.status == 403 and r.json["error_code"] == "USG.CAPTCHA_INVALID"
    capture.mode = "fail"
    try:
        r = send(user, body={"token": "good-token"})
    finally:
        capture.mode = "ok"
    assert r.status == 500 and r.json == {"error_code": "USG.SEND_FAILED", "error_msg": "验证码发送失败，请稍后重试"}
    assert not any(m["to"] == user for m in capture.messages)
    # The failed send gave the cooldown back: the next attempt goes through.
    r = send(user, body={"token": "good-token"})
    assert r.status == 200 and capture.latest(user)


def test_cloudbase_delivery_failure(open_dialects, capture, ip, email):
    dialects = open_dialects
    capture.mode = "fail"
    try:
        r = dialects.request("POST", "/auth/v1/verification", {"email": email, "target": "ANY"}, {"cf-connecting-ip": ip})
    finally:
        capture.mode = "ok"
    assert r.status == 503 and r.headers["retry-after"], r.json
    assert r.json["error"] == "delivery_unavailable" and r.json["error_code"] == 5030
    r = dialects.request("POST", "/auth/v1/verification", {"email": email, "target": "ANY"}, {"cf-connecting-ip": ip})
    assert r.status == 200 and capture.latest(email)


def test_bss_send_registration_code(open_dialects, capture, ip, email):
    dialects = open_dialects
    auth = {"x-auth-token": __import__("conftest").BSS_TOKEN, "cf-connecting-ip": ip}
    r = dialects.request("POST", "/v2/bases/verificationcode/send", {"receiver_type": 2, "timeout": 5, "email": email, "lang": "en-us"}, auth)
    assert r.status == 204 and r.raw == b"", r.raw
    message = capture.latest(email)
    assert message["purpose"] == "signup" and message["locale"] == "en-US" and "5 minutes" in message["body"]
    ok = dialects.request("PUT", "/v1/usg/acs/verifycode/check", {"code": message["code"], "user": email})
    assert ok.status == 200 and verified(ok.json["token"], dialects)["purpose"] == "signup"
    send = lambda body, headers=auth: dialects.request("POST", "/v2/bases/verificationcode/send", body, headers)
    assert send({"receiver_type": 2, "email": email}).json == {
        "error_code": "CBC.99004015",
        "error_msg": "The number of verification code sending times has reached the upper limit (15 times per hour, 60 times per day)."}
    assert send({"receiver_type": 3, "email": email}).json["error_code"] == "CBC.0100"
    assert send({"receiver_type": 2, "email": "not-an-email"}).json["error_code"] == "CBC.99004004"
    r = send({"receiver_type": 2, "email": email}, {"x-auth-token": "expired-token-000000"})
    assert r.status == 401 and r.json["error_code"] == "CBC.0154"
    capture.mode = "fail"
    try:
        r = send({"receiver_type": 2, "email": "down-" + email})
    finally:
        capture.mode = "ok"
    assert r.status == 400 and r.json["error_code"] == "CBC.99004003"
