"""Lifecycle events (issue 14): each occurrence reaches the operator's receiver once,
after the response, signed, with no code, token or full destination in it."""

import time


def events_for(capture, verification=None, to=None, wait=5.0):
    deadline = time.time() + wait
    while True:
        with capture.lock:
            found = [e for e in capture.events
                     if (verification is None or e.get("verification") == verification)
                     and (to is None or e.get("to") == to)]
        if found or time.time() > deadline:
            return found
        time.sleep(0.1)


def kinds(capture, to, count, wait=5.0):
    deadline = time.time() + wait
    while True:
        with capture.lock:
            found = [(e["type"], e["outcome"]) for e in capture.events if e.get("to") == to]
        if len(found) >= count or time.time() > deadline:
            return found
        time.sleep(0.1)


def test_each_step_posts_one_event(worker, capture, ip, email):
    # A first part no other test's address has, so its masked form is this test's.
    email = "evt-" + email
    masked = "evt***@example.com"
    r = worker.send(email, ip)
    code = capture.latest(email)["code"]
    assert worker.send(email, ip).status == 429
    assert worker.check(r.json["verification_id"], f"{(int(code) + 1) % 1_000_000:06d}").status == 400
    assert worker.check(r.json["verification_id"], code).status == 200
    seen = kinds(capture, masked, 4)
    assert seen == [("verification.sent", "sent"), ("verification.blocked", "rate_limited"),
                    ("verification.failed", "invalid_code"), ("verification.approved", "approved")], seen
    with capture.lock:
        posted = [e for e in capture.events if e.get("to") == masked]
    assert len({e["destination_hash"] for e in posted}) == 1
    text = repr(posted)
    assert code not in text and email not in text and r.json["verification_id"] not in text
    assert all(e["channel"] == "email" and e["purpose"] == "login" and e["destination_hash"] for e in posted)


def test_delivery_failures_are_events(worker, capture, ip, email):
    capture.mode = "fail"
    try:
        assert worker.send("dvf-" + email, ip).status == 503
    finally:
        capture.mode = "ok"
    masked = "dvf***@example.com"
    seen = kinds(capture, masked, 1)
    assert ("delivery.failed", "delivery_unavailable") in seen, seen
