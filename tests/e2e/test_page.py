"""The login page and the OpenAPI document as served; the page in a real browser."""

import gzip
import json
import os
import re
import shutil
import subprocess

import pytest

from conftest import ARTIFACTS, ROOT

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")


def test_page_is_small_strict_and_configured(page_worker):
    r = page_worker.request("GET", "/")
    assert r.status == 200 and r.headers["content-type"] == "text/html; charset=utf-8"
    html = r.raw.decode()
    size = len(gzip.compress(r.raw, 9))
    (ARTIFACTS / "page-size.json").write_text(json.dumps({"raw": len(r.raw), "gzip": size}))
    assert size < 20 * 1024, size
    csp = r.headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([A-Za-z0-9+/=]+)'", csp).group(1)
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp and "default-src 'none'" in csp
    assert html.count("<script") == html.count(f'<script nonce="{nonce}"') == 2
    assert '<html lang="en-US" dir="ltr">' in html and "Sign in with a one-time code." in html
    assert f'<style nonce="{nonce}">' in html and "<title>Acme Login</title>" in html and "--accent:#0f766e" in html
    again = page_worker.request("GET", "/").headers["content-security-policy"]
    assert again != csp, "a fresh nonce per response"
    assert r.headers["x-frame-options"] == "DENY" and r.headers["cache-control"] == "no-store"


def test_page_speaks_the_visitors_language(page_worker):
    """Accept-Language chooses the page's texts; Arabic is right to left."""
    cases = [("ar-SA,ar;q=0.9", "ar", "rtl", "إرسال الرمز"), ("fr-CA", "fr", "ltr", "Envoyer le code"),
             ("vi", "vi", "ltr", "Gửi mã"), ("sv-SE", "en-US", "ltr", "Send code")]
    for header, lang, direction, words in cases:
        r = page_worker.request("GET", "/", headers={"accept-language": header})
        html = r.raw.decode()
        assert r.status == 200 and f'<html lang="{lang}" dir="{direction}">' in html and words in html, header


def test_page_is_off_where_clients_must_authenticate(dialects):
    r = dialects.request("GET", "/")
    assert r.status == 404 and r.json["error"] == "not_found"


def test_openapi_document_is_served(worker):
    r = worker.request("GET", "/openapi.json")
    assert r.status == 200 and r.headers["content-type"].startswith("application/json")
    assert r.json["openapi"] == "3.1.0" and len(r.json["paths"]) == 15
    assert r.raw == (ROOT / "src" / "surface" / "openapi.json").read_bytes()


def test_login_page_in_chromium(page_worker, capture, email, phone):
    if not shutil.which("node") or not os.path.exists(CHROMIUM):
        pytest.fail(f"the browser test needs node and {CHROMIUM} (scripts/test installs chromium)")
    artifacts = ARTIFACTS / "browser"
    env = dict(os.environ, BASE=page_worker.base, CAPTURE=capture.base, EMAIL=email,
               PHONE=phone, PHONE_E164=phone.replace(" ", ""), ARTIFACTS=str(artifacts), CHROMIUM=CHROMIUM)
    run = subprocess.run(["node", "tests/browser/login.mjs"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-6000:]
    summary = json.loads(run.stdout.strip().splitlines()[-1])
    assert summary["screenshots"] >= 9
