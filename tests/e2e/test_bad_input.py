"""Every common-rule case of API.md: status, error code, field, headers, shape."""

import json

import pytest

SEND, CHECK = "/v1/verifications", "/v1/verifications/check"


def assert_error(r, status, error, field=None):
    assert r.status == status, (r.status, r.raw[:200])
    assert set(r.json) >= {"error", "message", "request_id"}, r.json
    assert r.json["error"] == error
    assert r.json["request_id"] == r.headers["x-request-id"]
    assert r.headers["cache-control"] == "no-store"
    if field is not None:
        assert r.json.get("field") == field, r.json


CASES = [
    # (path, raw body, extra headers, status, error, field)
    (SEND, b'{"to":"a@example.com"}', {"content-type": "text/plain"}, 415, "unsupported_media_type", None),
    (SEND, b'{"to":"a@example.com"}', {"content-type": "application/x-www-form-urlencoded"}, 415, "unsupported_media_type", None),
    (SEND, b'{"to": "a@example.com"', {}, 400, "invalid_request", None),
    (SEND, b'not json', {}, 400, "invalid_request", None),
    (SEND, b'["a@example.com"]', {}, 400, "invalid_request", None),
    (SEND, b'{"to":"a@example.com","bogus":1}', {}, 400, "invalid_request", "bogus"),
    (SEND, b'{"to":"a@example.com","to":"b@example.com"}', {}, 400, "invalid_request", "to"),
    (SEND, b'{"channel":"sms"}', {}, 400, "invalid_request", "to"),
    (SEND, b'{"to":12345}', {}, 400, "invalid_request", "to"),
    (SEND, b'{"to":"a@example.com","ttl":"300"}', {}, 400, "invalid_request", "ttl"),
    (SEND, b'{"to":"a@example.com","channel":"pigeon"}', {}, 400, "invalid_request", "channel"),
    (SEND, b'{"to":"a@example.com","channel":"sms"}', {}, 400, "invalid_request", "channel"),
    (SEND, b'{"to":"a@example.com","purpose":"admin"}', {}, 400, "invalid_request", "purpose"),
    (SEND, b'{"to":"a@example.com\\r\\nBcc: x@example.com"}', {}, 400, "invalid_request", "to"),
    (SEND, b'{"to":"a@example.com","locale":"en-US\\n"}', {}, 400, "invalid_request", "locale"),
    (CHECK, b'{"verification_id":"x","code":"123456","extra":true}', {}, 400, "invalid_request", "extra"),
    (CHECK, b'{"verification_id":"x","code":123456}', {}, 400, "invalid_request", "code"),
    (CHECK, b'{"verification_id":"x","code":"12\\r\\n3456"}', {}, 400, "invalid_request", "code"),
    (CHECK, b'{"verification_id":"x"}', {}, 400, "invalid_request", "code"),
    (CHECK, b'{"code":"123456","code":"654321","verification_id":"x"}', {}, 400, "invalid_request", "code"),
    # Nesting: as deep as the JSON reader takes (a wrong type for its field), and far
    # deeper (refused as malformed, not a stack overflow).
    (SEND, b'{"to":' + b'[' * 120 + b']' * 120 + b'}', {}, 400, "invalid_request", "to"),
    (SEND, b'{"to":' + b'[' * 4000 + b']' * 4000 + b'}', {}, 400, "invalid_request", None),
    (CHECK, b'{"verification_id":' + b'{"a":' * 120 + b'0' + b'}' * 120 + b',"code":"1"}', {}, 400, "invalid_request", "verification_id"),
]


@pytest.mark.parametrize("path,raw,headers,status,error,field", CASES)
def test_bad_bodies(worker, ip, path, raw, headers, status, error, field):
    r = worker.request("POST", path, raw=raw, headers={"cf-connecting-ip": ip, **headers})
    assert_error(r, status, error, field)


def test_declared_oversize_body(worker):
    raw = json.dumps({"to": "a@example.com", "pad": "x" * 9000}).encode()
    r = worker.request("POST", SEND, raw=raw)
    assert_error(r, 413, "payload_too_large")


def test_chunked_oversize_body_without_length(worker):
    chunks = [b'{"to":"a@example.com","pad":"' + b"x" * 4096] * 4
    r = worker.by_hand("POST", SEND, headers={"content-type": "application/json"}, chunks=chunks)
    assert_error(r, 413, "payload_too_large")


def test_body_of_exactly_the_limit_is_read(worker, ip):
    prefix = b'{"to":"a@example.com","pad":"'
    raw = prefix + b"x" * (8192 - len(prefix) - 2) + b'"}'
    assert len(raw) == 8192
    r = worker.request("POST", SEND, raw=raw, headers={"cf-connecting-ip": ip})
    assert_error(r, 400, "invalid_request", "pad")


@pytest.mark.parametrize("method,path,allow", [("GET", SEND, "POST, OPTIONS"), ("PUT", CHECK, "POST, OPTIONS"),
                                               ("DELETE", SEND, "POST, OPTIONS"), ("POST", "/healthz", "GET, OPTIONS")])
def test_wrong_method(worker, method, path, allow):
    r = worker.request(method, path)
    assert_error(r, 405, "method_not_allowed")
    assert r.headers["allow"] == allow


@pytest.mark.parametrize("path", ["/nope", "/v1/verifications/", "/v1/verifications/check/x", "/v2/verifications"])
def test_unknown_path(worker, path):
    assert_error(worker.request("GET", path), 404, "not_found")


def test_request_id_echoed_or_generated(worker):
    r = worker.request("GET", "/healthz", headers={"x-request-id": "trace-abc-123"})
    assert r.headers["x-request-id"] == "trace-abc-123"
    r = worker.request("GET", "/nope", headers={"x-request-id": "x" * 129})
    generated = r.headers["x-request-id"]
    assert len(generated) == 32 and r.json["request_id"] == generated
