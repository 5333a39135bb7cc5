"""Starts the capture server and `wrangler dev` (real workerd, local KV) once per run."""

import base64
import hashlib
import hmac
import http.client
import itertools
import json
import os
import pathlib
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from capture import ALIBABA_KEY_ID, ALIBABA_KEY_SECRET, RESEND_KEY, TWILIO_SID, TWILIO_TOKEN, VONAGE_KEY, VONAGE_SECRET, Capture

ROOT = pathlib.Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
MASTER_KEY = bytes(range(32))
OLD_MASTER_KEY = bytes(range(100, 132))
WEBHOOK_SECRET = b"e2e-webhook-secret-0123456789"


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def jwt_key(master: bytes) -> bytes:
    """The HS256 key of JWT_ALG = "HS256", as scripts/hs256-key derives it."""
    return hmac.new(master, b"edge-otp/v1/jwt", hashlib.sha256).digest()


# The EdDSA signing ring of the e2e workers (SIGNING_KEYS), and the next key a
# rotation adds.
SIGNING_SEED = bytes(range(200, 232))
NEXT_SIGNING_SEED = bytes(range(150, 182))


def verify_token(worker, token, audience="e2e-app"):
    """Verifies a verified token as a backend would: the public key from the worker's
    JWKS, PyJWT with the cryptography package, no secret."""
    import jwt
    jwks = worker.request("GET", "/.well-known/jwks.json").json
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in jwks["keys"] if k["kid"] == kid)
    return jwt.decode(token, jwt.PyJWK(key).key, algorithms=["EdDSA"], audience=audience,
                      issuer="https://otp.e2e.test")


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


# wrangler dev's proxy answers this 503 (not the worker) when its pooled connection to
# the worker is dropped as the request is written: kj's 5 s idle timers on both ends
# fire together (cloudflare/workers-sdk#14641, open). The request never reaches the
# worker (its log has no line for it), so the client sends it again, and counts it in
# tests/artifacts/proxy-retries.json. A GET or HEAD it drops is not answered: the proxy
# queues it until its next request, so a GET that times out is sent once more too.
PROXY_DROPPED = b"Your worker restarted mid-request."
PROXY_RETRIES = []


def timed_out(error):
    return isinstance(error, TimeoutError) or isinstance(getattr(error, "reason", None), TimeoutError)


class Client:
    timeout = 30

    def __init__(self, base):
        self.base = base

    def request(self, method, path, body=None, headers=None, raw=None):
        data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
        hdrs = {"content-type": "application/json"} if data is not None else {}
        hdrs.update(headers or {})
        return self._retrying(method, path, lambda: self._request(method, path, data, hdrs))

    def by_hand(self, method, path, body=None, headers=None, chunks=None):
        """A request written with http.client, for what urllib will not send: a
        body without a Content-Type, or `chunks` sent chunked without a length."""
        url = urllib.parse.urlparse(self.base)

        def once():
            conn = http.client.HTTPConnection(url.hostname, url.port, timeout=self.timeout)
            try:
                if chunks is None:
                    conn.request(method, path, body=body, headers=headers or {})
                else:
                    conn.request(method, path, body=iter(chunks), headers=headers or {}, encode_chunked=True)
                r = conn.getresponse()
                return Response(r.status, dict(r.getheaders()), r.read())
            finally:
                conn.close()

        return self._retrying(method, path, once)

    def _retrying(self, method, path, once):
        for attempt in range(3):
            try:
                r = once()
            except OSError as e:
                if method not in ("GET", "HEAD") or attempt or not timed_out(e):
                    raise
                PROXY_RETRIES.append(f"{method} {path} (timed out)")
                continue
            if r.status != 503 or not r.raw.startswith(PROXY_DROPPED):
                break
            PROXY_RETRIES.append(f"{method} {path}")
        return r

    def _request(self, method, path, data, headers):
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as r:
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


@pytest.fixture(scope="session", autouse=True)
def proxy_retries():
    yield
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    (ARTIFACTS / "proxy-retries.json").write_text(json.dumps(PROXY_RETRIES, indent=2))


@pytest.fixture(scope="session")
def capture():
    server = Capture(WEBHOOK_SECRET).start()
    yield server
    server.stop()


BASE_VARIABLES = {
    "OTP_KEYS": f"e2e={b64url(MASTER_KEY)},old={b64url(OLD_MASTER_KEY)}",
    "SIGNING_KEYS": f"sig1={b64url(SIGNING_SEED)}",
    "TEST_DESTINATIONS": "+15555550100=424242,review@example.com=135790",
    "SMS_PROVIDERS": "webhook",
    "EMAIL_PROVIDERS": "webhook",
    "WEBHOOK_SECRET": WEBHOOK_SECRET.decode(),
    "WEBHOOK_TIMEOUT_MS": "1500",
    "DELIVERY_RETRY_AFTER": "30",
    "JWT_ISSUER": "https://otp.e2e.test",
    "JWT_AUDIENCE": "e2e-app",
    "CORS_ALLOWED_ORIGINS": "https://app.e2e.test",
}

# Users the USER_DIRECTORY namespace of the "directory" instance knows.
DIRECTORY_USERS = ["known.user@example.com"]


def start_worker(name, capture, variables, extra_toml="", seed=None, ready_status=200):
    """Starts `wrangler dev` with the project's wrangler.toml (plus `extra_toml`),
    its own local state and ports, and waits until it answers."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    port, inspector = free_port(), free_port()
    state = tempfile.mkdtemp(prefix=f"edge-otp-e2e-{name}-")
    config = ROOT / "wrangler.toml"
    if extra_toml:
        config = ROOT / f".wrangler-e2e-{name}.toml"
        config.write_text((ROOT / "wrangler.toml").read_text() + "\n" + extra_toml)
    env = dict(os.environ, WRANGLER_SEND_METRICS="false", CLOUDFLARE_CF_FETCH_ENABLED="false", CI="true")
    for binding, key in seed or []:
        subprocess.run(["npx", "--no-install", "wrangler", "kv", "key", "put", "--config", str(config),
                        "--binding", binding, key, "1", "--local", "--persist-to", state],
                       cwd=ROOT, env=env, check=True, capture_output=True, timeout=120)
    command = ["npx", "--no-install", "wrangler", "dev", "--config", str(config), "--ip", "127.0.0.1",
               "--port", str(port), "--inspector-port", str(inspector), "--persist-to", state,
               "--show-interactive-dev-session=false"]
    events = {"EVENTS_URL": capture.base + "/events", "EVENTS_SECRET": WEBHOOK_SECRET.decode()}
    for key, value in {**BASE_VARIABLES, "WEBHOOK_URL": capture.url, **events, **variables}.items():
        command += ["--var", f"{key}:{value}"]
    log_path = ARTIFACTS / f"wrangler-dev-{name}.log"
    log = open(log_path, "w")
    process = subprocess.Popen(command, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    client = Client(f"http://127.0.0.1:{port}")
    client.log_path = log_path
    client.process = process
    deadline = time.time() + 300
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"wrangler dev ({name}) exited early:\n{log_path.read_text()[-4000:]}")
        try:
            if client.request("GET", "/healthz").status == ready_status:
                break
        except OSError:
            pass
        if time.time() > deadline:
            process.kill()
            raise RuntimeError(f"wrangler dev ({name}) did not start:\n{log_path.read_text()[-4000:]}")
        time.sleep(0.5)

    def stop():
        os.killpg(process.pid, 15)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
        log.close()
        if extra_toml:
            config.unlink(missing_ok=True)

    return client, stop


@pytest.fixture(scope="session")
def worker(capture):
    """The default deployment: KV consistency, no captcha, no directory."""
    client, stop = start_worker("kv", capture, {})
    yield client
    stop()


@pytest.fixture(scope="session")
def strict(capture):
    """CONSISTENCY=durable: state in Durable Objects."""
    client, stop = start_worker("durable", capture, {"CONSISTENCY": "durable"})
    yield client
    stop()


@pytest.fixture(scope="session")
def guarded(capture):
    """Abuse controls turned up: adaptive captcha, country and block rules, a small
    failure budget, no cooldown, and an HTTP user directory with enumeration
    protection on."""
    client, stop = start_worker("guarded", capture, {
        "CAPTCHA_MODE": "adaptive",
        "CAPTCHA_ADAPTIVE_THRESHOLD": "2",
        "TURNSTILE_SECRET": "turnstile-e2e-secret",
        "TURNSTILE_VERIFY_URL": capture.base + "/siteverify",
        "DENIED_CALLING_CODES": "44",
        "NUMBER_BLOCK_HOURLY_CAP": "3",
        "FAILURE_BUDGET": "6",
        "RESEND_COOLDOWN": "0",
        "DIRECTORY": "http",
        "DIRECTORY_URL": capture.base + "/directory",
        "DIRECTORY_SECRET": WEBHOOK_SECRET.decode(),
    })
    yield client
    stop()


QUEUE_TOML = """
[[queues.producers]]
binding = "EVENTS_QUEUE"
queue = "edge-otp-events-e2e"

[[queues.consumers]]
queue = "edge-otp-events-e2e"
max_batch_size = 10
max_batch_timeout = 1
max_retries = 5
"""


@pytest.fixture(scope="session")
def queue_worker(capture):
    """Lifecycle events through a local Cloudflare Queue, consumed by the worker
    itself (posted to EVENTS_URL with retries); codes may live 30 s."""
    client, stop = start_worker("queue", capture, {"CODE_TTL_MIN": "30"}, extra_toml=QUEUE_TOML)
    yield client
    stop()


@pytest.fixture(scope="session")
def directory_worker(capture):
    """A KV user directory with enumeration protection off, and a tiny SMS spend
    ceiling; with an Analytics Engine dataset bound, so that every request also
    writes its data point (a no-op store locally: what it proves is that writing
    one never breaks a request)."""
    client, stop = start_worker(
        "directory", capture,
        {"DIRECTORY": "kv", "ENUMERATION_PROTECTION": "off", "SMS_DAILY_CAP": "3"},
        extra_toml='[[kv_namespaces]]\nbinding = "USER_DIRECTORY"\n\n'
                   '[[analytics_engine_datasets]]\nbinding = "ANALYTICS"\ndataset = "edge_otp_e2e"\n',
        seed=[("USER_DIRECTORY", user) for user in DIRECTORY_USERS],
    )
    yield client
    stop()


@pytest.fixture(scope="session")
def providers_worker(capture):
    """SMS through Twilio, failing over to Vonage, both played by the capture server."""
    client, stop = start_worker("providers", capture, {
        "SMS_PROVIDERS": "twilio,vonage",
        "TWILIO_BASE_URL": capture.base + "/twilio",
        "TWILIO_ACCOUNT_SID": TWILIO_SID,
        "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
        "TWILIO_FROM": "+15005550006",
        "VONAGE_BASE_URL": capture.base + "/vonage",
        "VONAGE_API_KEY": VONAGE_KEY,
        "VONAGE_API_SECRET": VONAGE_SECRET,
        "VONAGE_FROM": "EdgeOTP",
        "PROVIDER_TIMEOUT_MS": "1000",
        "EMAIL_PROVIDERS": "resend",
        "RESEND_BASE_URL": capture.base + "/resend",
        "RESEND_API_KEY": RESEND_KEY,
        "EMAIL_FROM": "Edge OTP <no-reply@otp.e2e.test>",
        "WEBOTP_DOMAIN": "app.e2e.test",
        # The failover tests fail Twilio on purpose: keep its breaker closed here
        # (the breaker itself is covered by native tests).
        "PROVIDER_BREAKER_FAILURES": "1000",
    })
    yield client
    stop()


@pytest.fixture(scope="session")
def alibaba_worker(capture):
    """SMS through Alibaba Cloud's SendSms (signature V3), played by the capture server."""
    client, stop = start_worker("alibaba", capture, {
        "SMS_PROVIDERS": "alibaba",
        "ALIBABA_SMS_BASE_URL": capture.base + "/alibaba",
        "ALIBABA_ACCESS_KEY_ID": ALIBABA_KEY_ID,
        "ALIBABA_ACCESS_KEY_SECRET": ALIBABA_KEY_SECRET,
        "ALIBABA_SMS_SIGN_NAME": "阿里云短信测试",
        "ALIBABA_SMS_TEMPLATE_CODE": "SMS_154950909",
    })
    yield client
    stop()


CIAM_CLIENT = ("TENANT_CLIENT_ID", "TENANT_CLIENT_SECRET")
OTHER_CLIENT = ("OTHER_CLIENT_ID", "other-client-secret-0123")
PUBLIC_CLIENT = ("SPA_CLIENT_ID", "public")
BSS_ACCESS_KEY = ("E2EBSSACCESSKEY0", "e2e-bss-secret-key-0123456789")
BSS_TOKEN = "MIIPAgYJKoZIhvcNAQcCoIIO8zCCDu8CAQExDTALBglghkgBZQMEAgEwgg1BBgkqhkiG9w0BBwGggg0yBIINLnsidG9rZW4iOnsi"


def dialect_variables(capture):
    """What both dialect deployments share; the capture server plays the user
    directory and Turnstile."""
    return {
        **DIALECT_VARIABLES,
        "DIRECTORY": "http",
        "DIRECTORY_URL": capture.base + "/directory",
        "TURNSTILE_VERIFY_URL": capture.base + "/siteverify",
    }


DIALECT_VARIABLES = {
    "DIALECTS": "all",
    "CIAM_AUTH_SOURCES": "MOCK_SMS_OTP_AUTH_SOURCE_ID:6:60,MOCK_EMAIL_OTP_AUTH_SOURCE_ID:8:300",
    "DIRECTORY_SECRET": WEBHOOK_SECRET.decode(),
    "ENUMERATION_PROTECTION": "off",
    "CAPTCHA_MODE": "adaptive",
    "CAPTCHA_ADAPTIVE_THRESHOLD": "3",
    "TURNSTILE_SECRET": "turnstile-e2e-secret",
    "BSS_AUTH_TOKENS": BSS_TOKEN,
    "BSS_ACCESS_KEYS": ":".join(BSS_ACCESS_KEY),
}


@pytest.fixture(scope="session")
def dialects(capture):
    """The vendor dialects behind client credentials (CLIENTS: the CIAM tenant's
    client and another one), CIAM authentication sources, an HTTP user directory
    (enumeration protection off, as the dialects' own error vocabularies expect) and
    adaptive captcha."""
    client, stop = start_worker("dialects", capture, {
        **dialect_variables(capture),
        "CLIENTS": ",".join(":".join(c) for c in (CIAM_CLIENT, OTHER_CLIENT, PUBLIC_CLIENT)),
    })
    yield client
    stop()


@pytest.fixture(scope="session")
def open_dialects(capture):
    """The same dialects with no CLIENTS: the browser-facing CloudBase and Meeting
    flows, counted per IP and asked for a captcha."""
    client, stop = start_worker("open-dialects", capture, dialect_variables(capture))
    yield client
    stop()


@pytest.fixture(scope="session")
def page_worker(capture):
    """The login page's deployment: an app name and accent colour from
    configuration, nothing else changed (clients open, captcha off)."""
    client, stop = start_worker("page", capture, {"APP_NAME": "Acme Login", "ACCENT_COLOR": "#0F766E"})
    yield client
    stop()


# The contract run's client (CLIENTS) and BSS partner token.
CONTRACT_CLIENT = ("contract-client", "contract-secret-0123456789")
CONTRACT_BSS_TOKEN = "contract-bss-token-0123456789"


@pytest.fixture(scope="session")
def contract_worker(capture):
    """Every route behind its documented authentication, for schemathesis."""
    client, stop = start_worker("contract", capture, {
        "DIALECTS": "all",
        "CLIENTS": ":".join(CONTRACT_CLIENT),
        "BSS_AUTH_TOKENS": CONTRACT_BSS_TOKEN,
    })
    yield client
    stop()
