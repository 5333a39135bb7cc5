"""Idempotency-Key on send: one message, the first response replayed."""


def test_same_key_same_body_replays(worker, capture, ip, email):
    headers = {"idempotency-key": f"order-{ip}"}
    first = worker.send(email, ip, **headers)
    assert first.status == 200
    second = worker.send(email, ip, **headers)
    assert second.status == 200 and second.json == first.json
    assert second.headers["x-request-id"] != first.headers["x-request-id"]
    assert len(capture.for_destination(email)) == 1, "the repeat sent nothing"
    code = capture.latest(email)["code"]
    assert worker.check(second.json["verification_id"], code).status == 200


def test_same_key_other_body_is_refused(worker, capture, ip, email):
    headers = {"idempotency-key": f"signup-{ip}"}
    assert worker.send(email, ip, **headers).status == 200
    r = worker.send("other-" + email, ip, **headers)
    assert r.status == 422 and r.json["error"] == "idempotency_key_reused"
    assert not capture.for_destination("other-" + email)


def test_failed_sends_are_not_remembered(worker, capture, ip, email):
    headers = {"idempotency-key": f"retry-{ip}"}
    capture.mode = "fail"
    try:
        assert worker.send(email, ip, **headers).status == 503
    finally:
        capture.mode = "ok"
    assert worker.send(email, ip, **headers).status == 200


def test_malformed_key(worker, ip, email):
    r = worker.send(email, ip, **{"idempotency-key": "x" * 256})
    assert r.status == 400 and r.json["field"] == "Idempotency-Key"
