"""Lifecycle events (issue 14): each occurrence reaches the operator's receiver once,
after the response, signed, with no code, token or full destination in it; directly
(`EVENTS_URL`) or through a Cloudflare Queue whose consumer retries."""

import collections
import json
import time

from conftest import ARTIFACTS, QUEUE_TOML, start_worker


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


def test_queued_events_each_type_once_despite_refusals(queue_worker, capture, ip, email):
    """Every event type through the local queue: the receiver refuses the first two
    posts, the consumer retries them, and each occurrence is accepted exactly once."""
    w = queue_worker
    with capture.lock:
        capture.events_refuse = 2
    name = lambda tag: f"q{tag}x-{email}"
    masked = lambda tag: f"q{tag}x***@example.com"
    # An expiring code first: its check comes 31 s later, after the rest.
    a = w.send(name("a"), ip, fields={"ttl": 30})
    assert a.status == 200, a.json
    started = time.time()
    code_a = capture.latest(name("a"))["code"]
    wrong = lambda code: f"{(int(code) + 1) % 1_000_000:06d}"
    b = w.send(name("b"), ip)
    code_b = capture.latest(name("b"))["code"]
    assert w.send(name("b"), ip).status == 429
    assert w.check(b.json["verification_id"], wrong(code_b)).status == 400
    assert w.check(b.json["verification_id"], code_b).status == 200
    c = w.send(name("c"), ip)
    code_c = capture.latest(name("c"))["code"]
    statuses = [w.check(c.json["verification_id"], wrong(code_c)).status for _ in range(5)]
    assert statuses == [400, 400, 400, 400, 429], statuses
    capture.mode = "fail"
    try:
        assert w.send(name("d"), ip).status == 503
    finally:
        capture.mode = "ok"
    time.sleep(max(0.0, 31 - (time.time() - started)))
    e = w.check(a.json["verification_id"], code_a)
    assert e.status == 410 and e.json["error"] == "expired", e.json
    expected = collections.Counter({
        ("a", "verification.sent"): 1, ("a", "verification.expired"): 1,
        ("b", "verification.sent"): 1, ("b", "verification.blocked"): 1,
        ("b", "verification.failed"): 1, ("b", "verification.approved"): 1,
        ("c", "verification.sent"): 1, ("c", "verification.failed"): 4,
        ("c", "verification.exhausted"): 1, ("d", "delivery.failed"): 1,
    })
    ours = {masked(tag): tag for tag in "abcd"}
    deadline = time.time() + 60
    while True:
        with capture.lock:
            accepted = [ev for ev in capture.events if ev.get("to") in ours]
            refused = [ev for ev in capture.events_refused if ev.get("to") in ours]
        seen = collections.Counter((ours[ev["to"]], ev["type"]) for ev in accepted)
        if seen == expected or time.time() > deadline:
            break
        time.sleep(0.25)
    ids = collections.Counter(ev["id"] for ev in accepted)
    (ARTIFACTS / "queued-events.json").write_text(json.dumps({
        "accepted_per_type": collections.Counter(ev["type"] for ev in accepted),
        "refused_then_retried": len(refused), "duplicates": sum(n - 1 for n in ids.values()),
    }, indent=2, sort_keys=True))
    assert seen == expected, seen
    assert all(n == 1 for n in ids.values()), "each occurrence accepted once"
    assert len(refused) == 2 and all(ids[ev["id"]] == 1 for ev in refused), "refused posts were retried"
    assert all(ev["latency_ms"] is not None and len(ev["id"]) == 22 for ev in accepted)
    text = repr(accepted)
    for secret in (code_a, code_b, code_c, name("a"), a.json["verification_id"]):
        assert secret not in text


def test_a_consumer_without_events_url_keeps_the_events(capture, ip, email):
    """Consuming the queue with no EVENTS_URL set retries the events (they wait on
    the queue) instead of acknowledging them into nothing."""
    client, stop = start_worker("queue-nourl", capture, {"EVENTS_URL": ""}, extra_toml=QUEUE_TOML)
    try:
        to = "qnu-" + email
        assert client.send(to, ip).status == 200
        deadline = time.time() + 15
        while "events retried in 10 minutes" not in client.log_path.read_text():
            assert time.time() < deadline, "the consumer never saw the batch"
            time.sleep(0.25)
        with capture.lock:
            assert not [e for e in capture.events if e.get("to") == "qnu***@example.com"]
    finally:
        stop()
