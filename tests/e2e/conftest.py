"""Starts the capture server and `wrangler dev` (real workerd, local KV) once per run."""

import base64
import hashlib
import hmac
import itertools
import json
import os
import pathlib
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest

from capture import Capture

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
MASTER_KEY = bytes(range(32))
OLD_MASTER_KEY = bytes(range(100, 132))
WEBHOOK_SECRET = b"e2e-webhook-secret-0123456789"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_key(master: bytes) -> bytes:
    """The documented derivation backends use to verify verified tokens."""
    return hmac.new(master, b"edge-otp/v1/jwt", hashlib.sha256).digest()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = {k.lower(): v for k, v in headers.items()}
        self.raw = body
        try:
            self.json = json.loads(body) if body else None
        except ValueError:
            self.json = None


class Client:
    def __init__(self, base):
        self.base = base

    def request(self, method, path, body=None, headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        hdrs = {"content-type": "application/json"} if data is not None else {}
        hdrs.update(headers or {})
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                return Response(r.status, dict(r.headers), r.read())
        except urllib.error.HTTPError as e:
            return Response(e.code, dict(e.headers), e.read())

    def send(self, to, ip, **extra):
        body = {"to": to, **extra.pop("fields", {})}
        return self.request("POST", "/v1/verifications", body, {"cf-connecting-ip": ip, **extra})

    def check(self, verification_id, code, **fields):
        return self.request("POST", "/v1/verifications/check", {"verification_id": verification_id, "code": code, **fields})


_counter = itertools.count(1)


@pytest.fixture
def ip():
    """A client IP no other test uses, so per-IP limits do not interfere."""
    n = next(_counter)
    return f"198.51.{100 + n // 250}.{n % 250 + 1}"


@pytest.fixture
def email():
    return f"user{next(_counter)}.{os.getpid()}@example.com"


@pytest.fixture
def phone():
    return f"+1415555{next(_counter):04d}"


@pytest.fixture(scope="session")
def capture():
    server = Capture(WEBHOOK_SECRET).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def worker(capture):
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port, inspector = free_port(), free_port()
    state = tempfile.mkdtemp(prefix="edge-otp-e2e-")
    variables = {
        "OTP_KEYS": f"e2e={b64url(MASTER_KEY)},old={b64url(OLD_MASTER_KEY)}",
        "SMS_PROVIDERS": "webhook",
        "EMAIL_PROVIDERS": "webhook",
        "WEBHOOK_URL": capture.url,
        "WEBHOOK_SECRET": WEBHOOK_SECRET.decode(),
        "WEBHOOK_TIMEOUT_MS": "1500",
        "DELIVERY_RETRY_AFTER": "30",
        "JWT_ISSUER": "https://otp.e2e.test",
        "JWT_AUDIENCE": "e2e-app",
        "CORS_ALLOWED_ORIGINS": "https://app.e2e.test",
    }
    command = ["npx", "--no-install", "wrangler", "dev", "--ip", "127.0.0.1", "--port", str(port),
               "--inspector-port", str(inspector), "--persist-to", state, "--show-interactive-dev-session=false"]
    for name, value in variables.items():
        command += ["--var", f"{name}:{value}"]
    log_path = ARTIFACTS / "wrangler-dev.log"
    log = open(log_path, "w")
    env = dict(os.environ, WRANGLER_SEND_METRICS="false", CLOUDFLARE_CF_FETCH_ENABLED="false", CI="true")
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    client = Client(f"http://127.0.0.1:{port}")
    deadline = time.time() + 300
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"wrangler dev exited early:\n{log_path.read_text()[-4000:]}")
        try:
            if client.request("GET", "/healthz").status == 200:
                break
        except OSError:
            pass
        if time.time() > deadline:
            process.kill()
            raise RuntimeError(f"wrangler dev did not start:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.5)
    client.log_path = log_path
    yield client
    os.killpg(process.pid, 15)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, 9)
    log.close()
