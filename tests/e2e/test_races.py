"""Concurrent checks of one code, in both consistency modes.

Both modes must give exactly one approval for 50 racing correct checks and evaluate
at most 5 of 200 racing wrong guesses: strict mode because one object runs the
checks one at a time, KV mode because the isolate serialises the operations on one
record (wrangler dev runs one isolate; across locations KV stays best-effort, see
the README). The counts go to tests/artifacts/races.json.
"""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from conftest import ARTIFACTS

RESULTS = {}


def race(client, verification_id, codes):
    with ThreadPoolExecutor(max_workers=len(codes)) as pool:
        responses = list(pool.map(lambda code: client.check(verification_id, code), codes))
    counts = {}
    for r in responses:
        if r.status == 200:
            key = "approved"
        elif r.json and "error" in r.json:
            key = r.json["error"]
        else:  # not the worker's answer (the local proxy's?): say what it was
            key = f"HTTP {r.status} {r.raw[:80]!r}"
        counts[key] = counts.get(key, 0) + 1
    return counts


def wrong_of(code):
    return f"{(int(code) + 1) % 1_000_000:06d}"


@pytest.fixture(scope="module", autouse=True)
def report():
    yield
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "races.json").write_text(json.dumps(RESULTS, indent=2, sort_keys=True))


@pytest.mark.parametrize("mode", ["durable", "kv"])
def test_fifty_correct_checks_race(request, capture, ip, email, mode):
    client = request.getfixturevalue("strict" if mode == "durable" else "worker")
    r = client.send(email, ip)
    assert r.status == 200, r.json
    counts = race(client, r.json["verification_id"], [capture.latest(email)["code"]] * 50)
    RESULTS[f"{mode}: 50 correct checks"] = counts
    assert sum(counts.values()) == 50
    assert counts == {"approved": 1, "already_used": 49}


@pytest.mark.parametrize("mode", ["durable", "kv"])
def test_two_hundred_wrong_guesses_race(request, capture, ip, email, mode):
    client = request.getfixturevalue("strict" if mode == "durable" else "worker")
    r = client.send(email, ip)
    assert r.status == 200, r.json
    vid, code = r.json["verification_id"], capture.latest(email)["code"]
    counts = race(client, vid, [wrong_of(code)] * 200)
    RESULTS[f"{mode}: 200 wrong guesses (invalid_code = evaluated and answered)"] = counts
    assert sum(counts.values()) == 200
    # 4 answered invalid_code, the 5th evaluated guess killed the code: every other
    # guess was refused without being evaluated.
    assert counts == {"invalid_code": 4, "too_many_attempts": 196}
    assert client.check(vid, code).json["error"] == "too_many_attempts"


def test_durable_mode_flow(strict, capture, ip, phone):
    r = strict.send(phone, ip)
    assert r.status == 200, r.json
    again = strict.send(phone, ip)
    assert again.status == 429 and again.json["error"] == "rate_limited"
    vid, code = r.json["verification_id"], capture.latest(phone)["code"]
    assert strict.check(vid, wrong_of(code)).json["attempts_remaining"] == 4
    assert strict.check(vid, code).status == 200
    assert strict.check(vid, code).json["error"] == "already_used"
