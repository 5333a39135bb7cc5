"""CORS for login pages served from another origin."""

ALLOWED = "https://app.e2e.test"


def test_preflight_for_an_allowed_origin(worker):
    r = worker.request("OPTIONS", "/v1/verifications", headers={
        "origin": ALLOWED, "access-control-request-method": "POST",
        "access-control-request-headers": "content-type"})
    assert r.status == 204 and r.raw == b""
    assert r.headers["access-control-allow-origin"] == ALLOWED
    assert "POST" in r.headers["access-control-allow-methods"]
    assert "content-type" in r.headers["access-control-allow-headers"].lower()
    assert r.headers["vary"] == "Origin" and r.headers["cache-control"] == "no-store"


def test_preflight_for_another_origin_grants_nothing(worker):
    r = worker.request("OPTIONS", "/v1/verifications/check", headers={
        "origin": "https://evil.e2e.test", "access-control-request-method": "POST"})
    assert r.status == 204
    assert "access-control-allow-origin" not in r.headers


def test_responses_to_an_allowed_origin_expose_retry_after(worker, ip):
    r = worker.request("POST", "/v1/verifications/check", {"verification_id": "x", "code": "123456"},
                       headers={"origin": ALLOWED, "cf-connecting-ip": ip})
    assert r.status == 400 and r.headers["access-control-allow-origin"] == ALLOWED
    assert "retry-after" in r.headers["access-control-expose-headers"].lower()
