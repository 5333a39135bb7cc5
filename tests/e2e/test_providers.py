"""Failover between real SMS vendor APIs (played on loopback): Twilio first, Vonage
second; Resend for email; Alibaba Cloud's signature V3."""

import json
import time
import urllib.error
import urllib.request

import pytest


@pytest.fixture
def modes(capture):
    yield capture.provider_modes
    capture.provider_modes.update(twilio="ok", vonage="ok")


def test_first_provider_delivers(providers_worker, capture, ip, phone, modes):
    r = providers_worker.send(phone, ip)
    assert r.status == 200, r.json
    vendor, code = capture.sms_code(phone)
    assert vendor == "twilio"
    assert providers_worker.check(r.json["verification_id"], code).status == 200


@pytest.mark.parametrize("failure", ["fail", "hang"])
def test_failover_to_the_second_provider(providers_worker, capture, ip, phone, modes, failure):
    modes["twilio"] = failure
    r = providers_worker.send(phone, ip)
    assert r.status == 200, r.json
    vendor, code = capture.sms_code(phone)
    assert vendor == "vonage"
    assert providers_worker.check(r.json["verification_id"], code).status == 200


def test_both_down(providers_worker, capture, ip, phone, modes):
    modes.update(twilio="fail", vonage="fail")
    r = providers_worker.send(phone, ip)
    assert r.status == 503 and r.json["error"] == "delivery_unavailable" and r.headers["retry-after"]


def test_vendor_invalid_number_is_a_clean_400(providers_worker, capture, ip, phone, modes):
    modes["twilio"] = "invalid"
    r = providers_worker.send(phone, ip)
    assert r.status == 400 and r.json["error"] == "invalid_phone_number"
    text = r.raw.decode()
    assert "21211" not in text and "twilio" not in text.lower() and "not a valid phone number" not in text
    assert not any(f.get("To") == phone for v, f in capture.provider_messages if v == "vonage"), "no failover"


def test_email_through_resend(providers_worker, capture, ip, email):
    r = providers_worker.send(email, ip, fields={"locale": "zh-CN"})
    assert r.status == 200, r.json
    vendor, code = capture.sms_code(email)
    assert vendor == "resend"
    fields = [f for v, f in capture.provider_messages if v == "resend" and f["To"] == email][-1]
    assert fields["user_agent"] == "edge-otp/0.1.0", "Resend refuses requests without one"
    sent = fields["email"]
    assert sent["from"] == "Edge OTP <no-reply@otp.e2e.test>"
    assert sent["subject"] and "\n" not in sent["subject"] and code not in sent["subject"]
    assert code in sent["html"] and sent["html"].startswith("<!doctype html>")
    assert providers_worker.check(r.json["verification_id"], code).status == 200


def test_sms_carries_the_webotp_line(providers_worker, capture, ip, phone, modes):
    r = providers_worker.send(phone, ip)
    assert r.status == 200
    vendor, code = capture.sms_code(phone)
    body = [f["Body"] for v, f in capture.provider_messages if f.get("To") == phone][-1]
    assert body.endswith(f"\n\n@app.e2e.test #{code}")


def test_the_resend_fake_refuses_what_resend_refuses(capture):
    """The fake holds the rule Resend documents: no User-Agent, 403 (error 1010)."""
    body = json.dumps({"from": "a@b.co", "to": ["c@d.co"], "subject": "s", "text": "t"}).encode()
    request = urllib.request.Request(capture.base + "/resend/emails", data=body, method="POST", headers={
        "authorization": "Bearer re_e2e_key", "content-type": "application/json", "user-agent": ""})
    try:
        urllib.request.urlopen(request, timeout=5)
        raise AssertionError("accepted")
    except urllib.error.HTTPError as e:
        assert e.code == 403 and b"1010" in e.read()


def test_sms_through_alibaba_signed_with_v3(alibaba_worker, capture, ip, phone):
    """The fake recomputes the ACS3-HMAC-SHA256 signature from the request as workerd
    sent it (its Host header, path and query), so a signature over anything else fails."""
    refused = len(capture.refused)
    r = alibaba_worker.send(phone, ip)
    assert r.status == 200, r.json
    vendor, code = capture.sms_code(phone)
    assert vendor == "alibaba" and capture.refused[refused:] == []
    sent = [f for v, f in capture.provider_messages if v == "alibaba" and f["To"] == phone][-1]
    assert sent["PhoneNumbers"] == phone.lstrip("+") and sent["SignName"] == "阿里云短信测试"
    assert sent["TemplateCode"] == "SMS_154950909" and json.loads(sent["TemplateParam"]) == {"code": code}
    assert sent["accept"] == "application/json"
    assert alibaba_worker.check(r.json["verification_id"], code).status == 200


def test_the_alibaba_fake_refuses_what_alibaba_refuses(capture):
    """A V2 (HMAC-SHA1, query-signed) request, and a V3 one signed with a wrong secret."""
    def post(query, headers):
        request = urllib.request.Request(f"{capture.base}/alibaba/?{query}", data=b"", method="POST", headers=headers)
        try:
            urllib.request.urlopen(request, timeout=5)
            raise AssertionError("accepted")
        except urllib.error.HTTPError as e:
            return json.loads(e.read())["Code"]

    v2 = "AccessKeyId=LTAI5tE2eTestAccessKey&Action=SendSms&SignatureMethod=HMAC-SHA1&Signature=x"
    assert post(v2, {}) == "IncompleteSignature"
    empty = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    headers = {"x-acs-action": "SendSms", "x-acs-version": "2017-05-25", "x-acs-content-sha256": empty,
               "x-acs-date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "x-acs-signature-nonce": "n-1",
               "authorization": "ACS3-HMAC-SHA256 Credential=LTAI5tE2eTestAccessKey,SignedHeaders=host;"
               "x-acs-action;x-acs-content-sha256;x-acs-date;x-acs-signature-nonce;x-acs-version,Signature=" + "0" * 64}
    assert post("PhoneNumbers=8613800138000", headers) == "SignatureDoesNotMatch"
