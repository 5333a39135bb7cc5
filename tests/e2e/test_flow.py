"""Send and check through wrangler dev, as a client would."""

import re

import jwt
import pytest

from conftest import jwt_key, verify_token


def sent_code(capture, to):
    return capture.latest(to)["code"]


def common_headers_ok(r):
    assert r.headers.get("cache-control") == "no-store"
    assert r.headers.get("x-request-id")
    assert r.headers.get("content-type", "").startswith("application/json")


def test_health(worker):
    r = worker.request("GET", "/healthz")
    assert r.status == 200 and r.json["status"] == "ok" and r.json["version"]
    common_headers_ok(r)


@pytest.mark.parametrize("kind", ["email", "phone"])
def test_send_check_approve_then_replay(worker, capture, ip, email, phone, kind):
    to = email if kind == "email" else phone
    r = worker.send(to, ip)
    assert r.status == 200, r.json
    common_headers_ok(r)
    body = r.json
    assert body["channel"] == ("email" if kind == "email" else "sms")
    assert body["expires_in"] == 600 and body["resend_after"] == 60 and body["attempts_allowed"] == 5
    assert body["purpose"] == "login"
    if kind == "email":
        assert body["to"] == to[:3] + "***@example.com"
    else:
        assert body["to"] == "+1" + to[2:5] + "***" + to[-4:]
    message = capture.latest(to)
    assert message["channel"] == body["channel"] and message["purpose"] == "login"
    assert re.fullmatch(r"\d{6}", message["code"]) and message["code"] in message["body"]
    assert message["code"] not in body["verification_id"]

    r = worker.check(body["verification_id"], message["code"], to=to)
    assert r.status == 200, r.json
    common_headers_ok(r)
    assert r.json["status"] == "approved" and r.json["to"] == to and r.json["expires_in"] == 300

    # A JWT library we did not write verifies the token with the public key of the
    # JWKS: no secret.
    claims = verify_token(worker, r.json["verified_token"])
    assert claims["sub"] == to and claims["purpose"] == "login" and claims["channel"] == body["channel"]
    assert claims["exp"] - claims["iat"] == 300 and "otp" in claims["amr"]
    assert jwt.get_unverified_header(r.json["verified_token"]) == {"alg": "EdDSA", "kid": "sig1", "typ": "JWT"}
    # An HMAC key is no key for it (no algorithm confusion).
    with pytest.raises(jwt.InvalidTokenError):
        jwt.decode(r.json["verified_token"], jwt_key(bytes(32)), algorithms=["HS256"], audience="e2e-app")

    replay = worker.check(body["verification_id"], message["code"])
    assert replay.status == 409 and replay.json["error"] == "already_used"


def test_five_wrong_codes_kill_the_code(worker, capture, ip, email):
    r = worker.send(email, ip)
    vid, code = r.json["verification_id"], sent_code(capture, email)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for remaining in [4, 3, 2, 1]:
        r = worker.check(vid, wrong)
        assert r.status == 400 and r.json["error"] == "invalid_code"
        assert r.json["attempts_remaining"] == remaining
    r = worker.check(vid, wrong)
    assert r.status == 429 and r.json["error"] == "too_many_attempts"
    r = worker.check(vid, code)
    assert r.status == 429 and r.json["error"] == "too_many_attempts"


def test_second_send_within_cooldown(worker, capture, ip, email):
    assert worker.send(email, ip).status == 200
    r = worker.send(email, ip)
    assert r.status == 429 and r.json["error"] == "rate_limited"
    assert 0 < int(r.headers["retry-after"]) <= 60
    assert r.json["retry_after"] == int(r.headers["retry-after"])
    assert len(capture.for_destination(email)) == 1


def test_eleventh_send_from_one_ip(worker, ip):
    for i in range(10):
        r = worker.send(f"ipcap{i}.{ip}@example.com".replace(".", "-", 3), ip)
        assert r.status == 200, (i, r.json)
    r = worker.send(f"ipcap-last-{ip}@example.com", ip)
    assert r.status == 429 and r.json["error"] == "rate_limited" and int(r.headers["retry-after"]) > 0
    # X-Forwarded-For does not buy a fresh budget.
    r = worker.send(f"ipcap-xff-{ip}@example.com", ip, **{"x-forwarded-for": "192.0.2.77"})
    assert r.status == 429


def test_wrong_destination_and_purpose_are_refused(worker, capture, ip, phone):
    r = worker.send(phone, ip, fields={"purpose": "signup", "locale": "zh-CN"})
    assert r.status == 200 and r.json["purpose"] == "signup"
    message = capture.latest(phone)
    assert message["locale"] == "zh-CN" and "注册" in message["body"]
    vid, code = r.json["verification_id"], message["code"]
    r = worker.check(vid, code, to="+14155550000")
    assert r.status == 400 and r.json["error"] == "invalid_verification"
    r = worker.check(vid, code, purpose="login")
    assert r.status == 400 and r.json["error"] == "invalid_verification"
    r = worker.check(vid, code, to=phone, purpose="signup")
    assert r.status == 200 and r.json["purpose"] == "signup"


def test_tampered_verification_id(worker, capture, ip, email):
    r = worker.send(email, ip)
    vid, code = r.json["verification_id"], sent_code(capture, email)
    tampered = vid[:-3] + ("A" if vid[-3] != "A" else "B") + vid[-2:]
    for bad in [tampered, vid[:-10], "", "x" * 2000, vid + "="]:
        r = worker.check(bad, code)
        assert r.status == 400 and r.json["error"] == "invalid_verification", bad[:20]
    assert worker.check(vid, code).status == 200


def test_provider_down_then_recovered(worker, capture, ip, email):
    capture.mode = "fail"
    try:
        r = worker.send(email, ip)
        assert r.status == 503 and r.json["error"] == "delivery_unavailable"
        assert r.headers["retry-after"] == "30" and r.json["retry_after"] == 30
    finally:
        capture.mode = "ok"
    r = worker.send(email, ip)  # the failed send did not consume the cooldown
    assert r.status == 200, r.json
    assert worker.check(r.json["verification_id"], sent_code(capture, email)).status == 200


def test_provider_timeout(worker, capture, ip, email):
    capture.mode, capture.hang_seconds = "hang", 4.0
    try:
        r = worker.send(email, ip)
        assert r.status == 503 and r.json["error"] == "delivery_unavailable"
    finally:
        capture.mode = "ok"


def test_provider_rejects_destination(worker, capture, ip, phone):
    capture.mode = "reject"
    try:
        r = worker.send(phone, ip)
    finally:
        capture.mode = "ok"
    assert r.status == 400 and r.json["error"] == "invalid_phone_number"
    assert "blocklist" not in r.raw.decode() and "vendor" not in r.raw.decode()


def test_invalid_destinations(worker, ip):
    for to, error in [("+86 123", "invalid_phone_number"), ("13800138000", "invalid_phone_number"),
                      ("user@example", "invalid_email"), ("a..b@example.com", "invalid_email")]:
        r = worker.send(to, ip)
        assert r.status == 400 and r.json["error"] == error, to


def test_webhook_deliveries_are_all_authentic(capture):
    assert capture.unauthenticated == 0


def test_status_and_cancel(worker, capture, ip, email):
    r = worker.send(email, ip)
    assert r.status == 200 and r.json["code_length"] == 6
    vid = r.json["verification_id"]
    s = worker.request("GET", f"/v1/verifications/{vid}")
    assert s.status == 200 and s.json["status"] == "pending" and s.json["attempts_remaining"] == 5, s.json
    c = worker.request("POST", f"/v1/verifications/{vid}/cancel")
    assert c.status == 200 and c.json["status"] == "canceled", c.json
    assert worker.check(vid, capture.latest(email)["code"]).json["error"] == "expired"
    assert worker.request("GET", "/v1/verifications/not-a-token").json["error"] == "invalid_verification"


def test_test_destinations_verify_their_fixed_code_and_deliver_nothing(worker, open_dialects, capture, ip):
    r = worker.send("+15555550100", ip)
    assert r.status == 200 and r.json["to"] == "+1555***0100", r.json
    assert capture.for_destination("+15555550100") == [], "nothing delivered"
    assert worker.check(r.json["verification_id"], "000000").json["attempts_remaining"] == 4
    ok = worker.check(r.json["verification_id"], "424242")
    assert ok.status == 200 and verify_token(worker, ok.json["verified_token"])["test"] is True
    # Through a dialect too.
    sent = open_dialects.request("POST", "/auth/v1/verification", {"email": "review@example.com", "target": "ANY"},
                                 {"cf-connecting-ip": ip})
    assert sent.status == 200, sent.json
    v = open_dialects.request("POST", "/auth/v1/verification/verify",
                              {"verification_id": sent.json["verification_id"], "verification_code": "135790"})
    assert v.status == 200, v.json
    assert capture.for_destination("review@example.com") == []


def test_locale_from_calling_code_then_accept_language(worker, capture, ip, phone, email):
    """No locale named: the calling code chooses, then Accept-Language, then the default."""
    china = f"+86139{phone[-8:]}"
    cases = [
        (china, {}, "zh-CN"),
        (phone, {"accept-language": "zh-CN"}, "en-US"),
        (email, {"accept-language": "zh-CN,en;q=0.5"}, "zh-CN"),
        (f"+86137{phone[-8:]}", {"accept-language": "en"}, "zh-CN"),
    ]
    for to, headers, expected in cases:
        r = worker.send(to, ip, **headers)
        assert r.status == 200, (to, r.json)
        message = capture.latest(to)
        assert message["locale"] == expected, (to, headers)
    r = worker.send(f"1{email}", ip, fields={"locale": "en-US"}, **{"accept-language": "zh-CN"})
    assert r.status == 200 and capture.latest(f"1{email}")["locale"] == "en-US"


def test_languages_chosen_for_the_person(worker, capture, ip, phone, email):
    """Calling codes pick fr, pt-BR and ja; Accept-Language picks Arabic (right to
    left in the HTML email); a named locale wins; the SMS texts fit one segment."""
    tail = phone[-4:]
    cases = [
        # (to, headers, locale, words, characters in one segment: GSM-7 160, UCS-2 70)
        (f"+3361234{tail}", {}, "fr", "Ne le partagez avec personne", 160),
        (f"+55119876{tail}", {}, "pt-BR", "Não compartilhe", 70),
        (f"+81901234{tail}", {"accept-language": "en"}, "ja", "他人に教えないでください", 70),
        (f"+41791234{tail}", {"accept-language": "de-CH,de;q=0.9"}, "de", "Geben Sie ihn nicht weiter", 160),
    ]
    for to, headers, locale, words, segment in cases:
        r = worker.send(to, ip, **headers)
        assert r.status == 200, (to, r.json)
        message = capture.latest(to)
        assert message["locale"] == locale and words in message["body"], message
        assert message["code"] in message["body"]
        units = len(message["body"].encode("utf-16-le")) // 2
        assert units <= segment, (locale, units)
        v = worker.check(r.json["verification_id"], message["code"])
        assert v.status == 200 and v.json["status"] == "approved"
    r = worker.send(email, ip, **{"accept-language": "ar-EG,ar;q=0.9,en;q=0.5"})
    assert r.status == 200, r.json
    message = capture.latest(email)
    assert message["locale"] == "ar"
    assert message["subject"] == "رمز تسجيل الدخول في edge-otp", message["subject"]
    assert 'lang="ar" dir="rtl"' in message["html"] and message["code"] in message["html"]
    r = worker.send(f"ko.{email}", ip, fields={"locale": "ko"}, **{"accept-language": "ar"})
    assert r.status == 200 and capture.latest(f"ko.{email}")["locale"] == "ko"
    r = worker.send(f"sv.{email}", ip, fields={"locale": "sv"})
    assert r.status == 400 and r.json["field"] == "locale" and "pt-BR" in r.json["message"]
