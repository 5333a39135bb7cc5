"""Drop-in clients as their vendors' documentation and SDKs make them: each seed's
example request, and the same request with the fields, headers and encodings the
vendor's own clients add, must succeed (issue 15)."""

import hashlib
import hmac
import itertools
import json
import time
import urllib.parse

import pytest

from conftest import BSS_ACCESS_KEY, CIAM_CLIENT

_mobile = itertools.count(13700000001)
SMS_GRANT = "http://tencentciam.com/oauth2/grant-type/otp/sms"
EMAIL_GRANT = "http://tencentciam.com/oauth2/grant-type/otp/email"


@pytest.fixture
def mainland():
    return str(next(_mobile))


def basic(client_id, secret):
    import base64
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def test_cloudbase_with_what_its_js_sdk_sends(open_dialects, capture, ip, mainland):
    dialects = open_dialects
    # The SDK adds usage / email_redirect_to / client_id, an X-Device-Id header and
    # may pass the captcha token in the query.
    body = {"phone_number": f"+86 {mainland}", "target": "ANY", "usage": "SIGN_IN",
            "email_redirect_to": "https://app.e2e.test/cb", "client_id": "web"}
    headers = {"cf-connecting-ip": ip, "x-device-id": "dev-0123", "x-sdk-version": "@cloudbase/js-sdk/2.24.0"}
    r = dialects.request("POST", "/auth/v1/verification?captcha_token=good-token", body, headers)
    assert r.status == 200, r.json
    code = capture.latest(f"+86{mainland}")["code"]
    v = dialects.request("POST", "/auth/v1/verification/verify",
                         {"verification_id": r.json["verification_id"], "verification_code": code, "client_id": "web",
                          "provider_id": "phone"}, {"x-device-id": "dev-0123"})
    assert v.status == 200 and v.json["expires_in"] == 600, v.json
    # A browser's preflight for the SDK's headers is allowed.
    p = dialects.request("OPTIONS", "/auth/v1/verification", headers={
        "origin": "https://app.e2e.test", "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-device-id,x-sdk-version"})
    allowed = p.headers["access-control-allow-headers"].lower()
    assert "x-device-id" in allowed and "x-sdk-version" in allowed
    # Unknown paths under the dialect answer in its shape.
    n = dialects.request("POST", "/auth/v1/nothing-here", {})
    assert n.status == 404 and n.json["error_code"] == 4040


def test_ciam_token_with_the_vendors_sample_body_as_json_and_as_a_form(dialects, capture, ip, email):
    for i, encoding in enumerate(["json", "form"]):
        to = f"{encoding}-{email}"
        sent = dialects.request("POST", "/otp/send", {"usage": "login", "email": to,
                                                      "auth_source_id": "MOCK_EMAIL_OTP_AUTH_SOURCE_ID"},
                                {"authorization": basic(*CIAM_CLIENT), "cf-connecting-ip": ip})
        assert sent.status == 200, sent.json
        code = capture.latest(to)["code"]
        # The vendor's sample: credentials in the body, auth_source_id, and auto_signup.
        body = {"grant_type": EMAIL_GRANT, "client_id": CIAM_CLIENT[0], "client_secret": CIAM_CLIENT[1],
                "auth_source_id": "MOCK_EMAIL_OTP_AUTH_SOURCE_ID", "email": to,
                "otp_token": sent.json["otp_token"], "otp": code, "auto_signup": True}
        if encoding == "json":
            t = dialects.request("POST", "/oauth2/token", body)
        else:
            form = urllib.parse.urlencode({k: ("true" if v is True else v) for k, v in body.items()}).encode()
            t = dialects.request("POST", "/oauth2/token", raw=form,
                                 headers={"content-type": "application/x-www-form-urlencoded"})
        assert t.status == 200 and t.json["token_type"] == "Bearer", (encoding, t.json)
    # A wrong secret in the body is refused; lower-case `basic` is read.
    to = f"lower-{email}"
    sent = dialects.request("POST", "/otp/send", {"email": to},
                            {"authorization": "basic " + basic(*CIAM_CLIENT).split(" ")[1], "cf-connecting-ip": ip})
    assert sent.status == 200, sent.json
    t = dialects.request("POST", "/oauth2/token", {"grant_type": EMAIL_GRANT, "client_id": CIAM_CLIENT[0],
                                                   "client_secret": "wrong-secret-0000", "email": to,
                                                   "otp_token": sent.json["otp_token"], "otp": "000000"})
    assert t.status == 401 and t.json["error"] == "invalid_client"


def test_thirty_sends_from_one_server_client_are_not_refused_by_the_ip_cap(dialects, capture):
    # CIAM's /otp/send is called by the app's backend: one IP, many users (each in
    # its own block of 1,000 numbers, so the pumping cap stays out of the way).
    statuses = []
    for i in range(30):
        r = dialects.request("POST", "/otp/send", {"usage": "login", "phone_number": f"139{i:05d}123"},
                             {"authorization": basic(*CIAM_CLIENT), "cf-connecting-ip": "198.18.200.1"})
        statuses.append(r.status)
    assert statuses == [200] * 30, statuses


def test_meeting_as_the_seeds_examples_send_it(open_dialects, capture, ip, email):
    dialects = open_dialects
    # An email user without sendMethod gets an email.
    r = dialects.request("POST", "/v1/usg/acs/verifycode/send", {"user": email, "clientType": 72},
                         {"cf-connecting-ip": ip})
    assert r.status == 200 and r.json["bindEmail"] and r.json["bindPhone"] is None, r.json
    code = capture.latest(email)["code"]
    # The seed's check example sends its JSON body without a Content-Type (urllib
    # would add one, so this request is written by hand).
    body = json.dumps({"code": code, "user": email}).encode()
    c = dialects.by_hand("PUT", "/v1/usg/acs/verifycode/check", body=body)
    assert c.status == 200 and c.json["token"], c.json


def sign_huawei(method, path, query, headers, body, ak, sk):
    """Huawei's SDK-HMAC-SHA256, as its signing guide describes it."""
    date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    headers = {**headers, "x-sdk-date": date}
    names = sorted(headers)
    canonical = "\n".join([
        method, path if path.endswith("/") else path + "/", query,
        "".join(f"{n}:{headers[n].strip()}\n" for n in names), ";".join(names),
        hashlib.sha256(body).hexdigest()])
    to_sign = f"SDK-HMAC-SHA256\n{date}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
    signature = hmac.new(sk.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    return {**headers, "authorization": f"SDK-HMAC-SHA256 Access={ak}, SignedHeaders={';'.join(names)}, Signature={signature}"}


def test_bss_signed_by_its_sdk_with_its_model_fields(open_dialects, capture, ip, email):
    dialects = open_dialects
    body = json.dumps({"receiver_type": 2, "timeout": 45, "email": email, "lang": "en-US",
                       "scene": "REGISTER", "customer_id": "0a1b2c", "mobile_phone": None}).encode()
    headers = sign_huawei("POST", "/v2/bases/verificationcode/send", "",
                          {"content-type": "application/json"}, body, *BSS_ACCESS_KEY)
    r = dialects.request("POST", "/v2/bases/verificationcode/send", raw=body, headers={**headers, "cf-connecting-ip": ip})
    assert r.status == 204, r.raw
    message = capture.latest(email)
    assert "45 minutes" in message["body"] and message["locale"] == "en-US"
    forged = sign_huawei("POST", "/v2/bases/verificationcode/send", "",
                         {"content-type": "application/json"}, body, BSS_ACCESS_KEY[0], "not-the-secret-key-000")
    r = dialects.request("POST", "/v2/bases/verificationcode/send", raw=body, headers=forged)
    assert r.status == 401 and r.json["error_code"] == "CBC.0154"
