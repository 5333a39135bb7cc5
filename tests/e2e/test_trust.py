"""Trust (issue 12): every door behind the same lock, codes that belong to the client
that asked, and verified tokens that backends verify with public keys alone."""

import base64
import subprocess

import jwt
import pytest

from conftest import (CIAM_CLIENT, MASTER_KEY, NEXT_SIGNING_SEED, OTHER_CLIENT, PUBLIC_CLIENT, ROOT,
                      SIGNING_SEED, b64url, jwt_key, start_worker, verify_token)

EMAIL_GRANT = "http://tencentciam.com/oauth2/grant-type/otp/email"


def basic(client):
    return {"authorization": "Basic " + base64.b64encode(":".join(client).encode()).decode()}


def test_every_door_is_locked(dialects, capture, ip, email):
    """With CLIENTS set, no route sends or checks without a client's credentials."""
    calls = [
        ("POST", "/v1/verifications", {"to": email}),
        ("POST", "/v1/verifications/check", {"verification_id": "AQ", "code": "123456"}),
        ("POST", "/auth/v1/verification", {"email": email, "target": "ANY"}),
        ("POST", "/auth/v1/verification/verify", {"verification_id": "AQ", "verification_code": "123456"}),
        ("POST", "/v1/usg/acs/verifycode/send", {"user": email, "sendMethod": "email"}),
        ("PUT", "/v1/usg/acs/verifycode/check", {"code": "123456", "user": email}),
        ("POST", "/otp/send", {"email": email}),
        # A confidential client that only names itself.
        ("POST", "/oauth2/token", {"grant_type": EMAIL_GRANT, "client_id": CIAM_CLIENT[0], "otp_token": "AQ",
                                   "otp": "123456", "email": email}),
        ("POST", "/v2/bases/verificationcode/send", {"receiver_type": 2, "email": email}),
    ]
    for method, path, body in calls:
        r = dialects.request(method, path, body, {"cf-connecting-ip": ip})
        assert r.status == 401, (path, r.status, r.json)
    assert capture.for_destination(email) == [], "nothing was delivered"
    # A public client names itself at the token endpoint: past the door, its grant
    # is judged (and this made-up one refused).
    r = dialects.request("POST", "/oauth2/token", {"grant_type": EMAIL_GRANT, "client_id": PUBLIC_CLIENT[0],
                                                   "otp_token": "AQ", "otp": "123456", "email": email})
    assert r.status == 400 and r.json["error"] == "invalid_grant", r.json


def test_codes_belong_to_the_client_that_asked(dialects, capture, ip, email):
    r = dialects.request("POST", "/v1/verifications", {"to": email}, {**basic(CIAM_CLIENT), "cf-connecting-ip": ip})
    assert r.status == 200, r.json
    code = capture.latest(email)["code"]
    check = {"verification_id": r.json["verification_id"], "code": code}
    other = dialects.request("POST", "/v1/verifications/check", check, basic(OTHER_CLIENT))
    assert other.status == 400 and other.json["error"] == "invalid_verification"
    mine = dialects.request("POST", "/v1/verifications/check", check, basic(CIAM_CLIENT))
    assert mine.status == 200, mine.json
    claims = verify_token(dialects, mine.json["verified_token"])
    assert claims["azp"] == CIAM_CLIENT[0] and claims["sub"] == email
    # The same through CIAM: sent by the tenant's client, exchanged by another.
    to = "ciam-" + email
    sent = dialects.request("POST", "/otp/send", {"email": to}, {**basic(CIAM_CLIENT), "cf-connecting-ip": ip})
    grant = {"grant_type": EMAIL_GRANT, "client_id": OTHER_CLIENT[0], "client_secret": OTHER_CLIENT[1],
             "otp_token": sent.json["otp_token"], "otp": capture.latest(to)["code"], "email": to}
    t = dialects.request("POST", "/oauth2/token", grant)
    assert t.status == 400 and t.json["error"] == "invalid_grant", t.json


@pytest.fixture(scope="module")
def rotated(capture):
    """The next signing key published and signing, the old one still published."""
    client, stop = start_worker("rotated", capture, {
        "SIGNING_KEYS": f"sig2={b64url(NEXT_SIGNING_SEED)},sig1={b64url(SIGNING_SEED)}"})
    yield client
    stop()


def test_signing_key_rotation_keeps_tokens_in_flight_valid(worker, rotated, capture, ip, email):
    r = worker.send(email, ip)
    old = worker.check(r.json["verification_id"], capture.latest(email)["code"]).json["verified_token"]
    assert jwt.get_unverified_header(old)["kid"] == "sig1"
    kids = [k["kid"] for k in rotated.request("GET", "/.well-known/jwks.json").json["keys"]]
    assert kids == ["sig2", "sig1"]
    assert verify_token(rotated, old)["sub"] == email, "a token signed before the rotation"
    to = "rotated-" + email
    r = rotated.send(to, ip)
    new = rotated.check(r.json["verification_id"], capture.latest(to)["code"]).json["verified_token"]
    assert jwt.get_unverified_header(new)["kid"] == "sig2" and verify_token(rotated, new)["sub"] == to
    key = rotated.request("GET", "/.well-known/jwks.json").json["keys"][0]
    assert set(key) == {"kty", "crv", "x", "kid", "alg", "use"}, "public parts only"


def test_hs256_on_request_with_its_own_derived_key(capture, ip, email):
    client, stop = start_worker("hs256", capture, {"JWT_ALG": "HS256"})
    try:
        r = client.send(email, ip)
        token = client.check(r.json["verification_id"], capture.latest(email)["code"]).json["verified_token"]
        assert client.request("GET", "/.well-known/jwks.json").json == {"keys": []}
        line = subprocess.run([str(ROOT / "scripts" / "hs256-key"), f"e2e={b64url(MASTER_KEY)}"],
                              capture_output=True, text=True, check=True).stdout.split()
        assert line == ["e2e", b64url(jwt_key(MASTER_KEY))]
        claims = jwt.decode(token, jwt_key(MASTER_KEY), algorithms=["HS256"], audience="e2e-app",
                            issuer="https://otp.e2e.test")
        assert claims["sub"] == email
    finally:
        stop()


def test_a_deployed_worker_refuses_the_log_provider(capture):
    """wrangler.toml ships the `log` chain for scripts/dev; deployed as is (no
    LOCAL_DEVELOPMENT), the worker refuses to start rather than print codes."""
    client, stop = start_worker("deployed-log", capture, {"SMS_PROVIDERS": "log"}, ready_status=500)
    try:
        r = client.send("+14155550199", "203.0.113.77")
        assert r.status == 500 and r.json["error"] == "internal_error"
        assert "SMS_PROVIDERS" in client.log_path.read_text()
    finally:
        stop()


def test_a_verification_id_shows_no_destination(worker, capture, ip, email, phone):
    for to in (email, phone):
        r = worker.send(to, ip)
        assert r.status == 200, r.json
        raw = base64.urlsafe_b64decode(r.json["verification_id"] + "=" * (-len(r.json["verification_id"]) % 4))
        for part in (to.encode(), to.split("@")[0].encode(), to[-7:].encode()):
            assert part not in raw, (to, part)
