"""A loopback server that plays the world the worker talks to.

- `/hook`: the message provider for the `webhook` provider. It authenticates every
  delivery the way a real receiver must (HMAC-SHA256 over "timestamp.body" with the
  shared secret, timestamp within five minutes), keeps the messages, and can be told
  to fail, hang past the worker's timeout, or reject.
- `/siteverify`: Cloudflare Turnstile's siteverify, accepting one token only.
- `/events`: the lifecycle events' receiver (signed like the webhook).
- `/directory`: the app's user directory callback, answering existence from
  `users` and account names from `accounts` (name → {"phone", "email"}).
- `/twilio/...` and `/vonage/sms/json`: the two SMS vendors' APIs, with their real
  success and error bodies; `provider_modes` makes each fail, hang or refuse.
- `/resend/emails`: Resend's email API.
- `/alibaba/?…`: Alibaba Cloud SMS `SendSms` (RPC style, parameters in the query).

Each vendor fake enforces the request rules its vendor documents (written from the
vendors' API references, not from our code), and refuses as the vendor does:
- Resend: `Authorization: Bearer <key>` (401 otherwise), a `User-Agent` header
  (403 with error 1010 otherwise: "All API requests must include a User-Agent
  header"), and a JSON body (`Content-Type: application/json`, 422 otherwise).
- Twilio Messages: HTTP Basic with the account SID and auth token (401, code 20003),
  the account SID in the path, and a form-encoded body
  (`application/x-www-form-urlencoded`, the only body the REST API reads).
- Vonage SMS API: `api_key` and `api_secret` in a form-encoded or JSON body (a 200
  with status 4, "Bad Credentials", otherwise).
- Alibaba Cloud: signature V3 ("Request syntax and signature method V3"): an
  `Authorization: ACS3-HMAC-SHA256 Credential=<AccessKey id>,SignedHeaders=…,
  Signature=…` header whose signature is recomputed from the request as it arrived
  (method, path, the query canonicalised again, the signed headers' received
  values, the body's SHA-256); `host` and every `x-acs-` header signed;
  `x-acs-content-sha256` the body's; `x-acs-date` within 15 minutes; a signature
  nonce used once. Refusals answer as the API does (`SignatureDoesNotMatch`,
  `InvalidTimeStamp.Expired`, `SignatureNonceUsed`, `IncompleteSignature`).
- `GET /latest?to=…`: the newest captured message for a destination (the browser
  test reads its codes here).
"""

import base64
import calendar
import hashlib
import hmac
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlparse

TURNSTILE_SECRET = "turnstile-e2e-secret"
GOOD_CAPTCHA_TOKEN = "good-token"
TWILIO_SID, TWILIO_TOKEN = "AC00000000000000000000000000000e2e", "twilio-e2e-token"
VONAGE_KEY, VONAGE_SECRET = "e2ekey", "vonage-e2e-secret"
RESEND_KEY = "re_e2e_key"
ALIBABA_KEY_ID, ALIBABA_KEY_SECRET = "LTAI5tE2eTestAccessKey", "alibaba-e2e-access-key-secret"


def alibaba_refusal(headers, method, path, query, body, nonces):
    """The error `Code` Alibaba's gateway answers a V3-signed request with, or None
    for a request it accepts (written from Alibaba's description of V3)."""
    scheme, _, fields = headers.get("authorization", "").partition(" ")
    parts = dict(p.split("=", 1) for p in fields.split(",") if "=" in p)
    if scheme != "ACS3-HMAC-SHA256" or not {"Credential", "SignedHeaders", "Signature"} <= parts.keys():
        return "IncompleteSignature"
    if parts["Credential"] != ALIBABA_KEY_ID:
        return "InvalidAccessKeyId.NotFound"
    signed = parts["SignedHeaders"].split(";")
    present = {k.lower() for k in headers.keys()}
    must = {"host"} | {k for k in present if k.startswith("x-acs-")}
    if signed != sorted(signed) or not must <= set(signed) or not set(signed) <= present:
        return "IncompleteSignature"
    if headers.get("x-acs-content-sha256") != hashlib.sha256(body).hexdigest():
        return "SignatureDoesNotMatch"
    try:
        sent = calendar.timegm(time.strptime(headers.get("x-acs-date", ""), "%Y-%m-%dT%H:%M:%SZ"))
    except ValueError:
        return "InvalidTimeStamp.Format"
    if abs(time.time() - sent) > 900:
        return "InvalidTimeStamp.Expired"
    encode = lambda t: quote(t, safe="-._~")
    pairs = sorted((k, v) for k, vs in parse_qs(query, keep_blank_values=True).items() for v in vs)
    canonical = "\n".join([
        method, path, "&".join(f"{encode(k)}={encode(v)}" for k, v in pairs),
        "".join(f"{name}:{headers.get(name, '').strip()}\n" for name in signed),
        ";".join(signed), headers["x-acs-content-sha256"]])
    to_sign = "ACS3-HMAC-SHA256\n" + hashlib.sha256(canonical.encode()).hexdigest()
    expected = hmac.new(ALIBABA_KEY_SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, parts["Signature"]):
        return "SignatureDoesNotMatch"
    nonce = headers.get("x-acs-signature-nonce", "")
    if not nonce or nonce in nonces:
        return "SignatureNonceUsed"
    nonces.add(nonce)
    return None


class Capture:
    def __init__(self, secret: bytes):
        self.secret = secret
        self.messages = []
        self.unauthenticated = 0
        self.mode = "ok"  # ok | fail | hang | reject
        self.hang_seconds = 5.0
        self.hook_delay = 0.0  # seconds the webhook provider takes to answer
        self.siteverify_mode = "ok"  # ok | down
        self.siteverify_calls = []
        self.users = set()
        self.accounts = {}
        self.directory_calls = []
        self.provider_modes = {"twilio": "ok", "vonage": "ok"}  # ok | fail | hang | invalid
        self.provider_messages = []  # (provider, form fields)
        self.refused = []  # (provider, rule) of requests a vendor fake refused
        self.alibaba_nonces = set()
        self.events = []  # lifecycle events the workers posted (signature checked)
        self.events_refuse = 0  # answer this many more event posts 503
        self.events_refused = []  # the events answered 503
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    @property
    def url(self) -> str:
        return self.base + "/hook"

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()

    def authentic(self, timestamp: str, signature: str, body: bytes) -> bool:
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return False
        expected = "v1=" + hmac.new(self.secret, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(expected, signature)

    def for_destination(self, to: str):
        with self.lock:
            return [m for m in self.messages if m["to"] == to]

    def latest(self, to: str, timeout: float = 5.0):
        deadline = time.time() + timeout
        while time.time() < deadline:
            found = self.for_destination(to)
            if found:
                return found[-1]
            time.sleep(0.05)
        raise AssertionError(f"no message captured for {to}")

    def sms_code(self, to: str, timeout: float = 5.0):
        """(vendor, code) of the latest message a vendor accepted for `to`."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                found = [(v, f) for v, f in self.provider_messages if f.get("To") == to]
            if found:
                vendor, form = found[-1]
                return vendor, re.search(r"(?<!\d)(\d{6})(?!\d)", form["Body"]).group(1)
            time.sleep(0.05)
        raise AssertionError(f"no message accepted for {to}")

    def _handler(self):
        capture = self

        class Handler(BaseHTTPRequestHandler):
            # Keep-alive as workerd expects it: with HTTP/1.0 the server closes each
            # connection, and a request on a pooled connection can race the close.
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                # `/latest?to=…`: the newest message for a destination, for the browser test.
                url = urlparse(self.path)
                to = parse_qs(url.query).get("to", [""])[0]
                found = capture.for_destination(to) if url.path == "/latest" else []
                if not found:
                    return self._reply(404, b"{}")
                self._reply(200, json.dumps(found[-1]).encode())

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                if self.path == "/siteverify":
                    return self._siteverify(body)
                if self.path == "/directory":
                    return self._directory(body)
                if self.path == "/events":
                    return self._events(body)
                if self.path == "/resend/emails":
                    return self._resend(body)
                if self.path.startswith("/alibaba/"):
                    return self._alibaba(body)
                if self.path.startswith("/twilio/") or self.path == "/vonage/sms/json":
                    return self._sms_vendor(self.path.split("/")[1], body)
                mode = capture.mode
                if capture.hook_delay:
                    time.sleep(capture.hook_delay)
                if mode == "hang":
                    time.sleep(capture.hang_seconds)
                if mode in ("fail", "hang"):
                    return self._reply(500, b'{"error":"provider down"}')
                if mode == "reject":
                    return self._reply(422, b'{"error":"vendor says: number 555 is on blocklist XYZ"}')
                ok = self._signed(body)
                with capture.lock:
                    if not ok:
                        capture.unauthenticated += 1
                    else:
                        capture.messages.append(json.loads(body))
                self._reply(200 if ok else 401, b"{}")

            def _signed(self, body):
                """Whether a callback carries our signature (the `signed_post` headers)."""
                return capture.authentic(
                    self.headers.get("x-edge-otp-timestamp", ""),
                    self.headers.get("x-edge-otp-signature", ""),
                    body,
                )

            def _siteverify(self, body):
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                with capture.lock:
                    capture.siteverify_calls.append(form)
                if capture.siteverify_mode == "down":
                    return self._reply(500, b"upstream error")
                ok = form.get("secret") == TURNSTILE_SECRET and form.get("response") == GOOD_CAPTCHA_TOKEN
                answer = {"success": ok, "error-codes": [] if ok else ["invalid-input-response"]}
                self._reply(200, json.dumps(answer).encode())

            def _events(self, body):
                ok = self._signed(body)
                if not ok:
                    return self._reply(401, b"{}")
                with capture.lock:
                    if capture.events_refuse > 0:
                        capture.events_refuse -= 1
                        capture.events_refused.append(json.loads(body))
                        refuse = True
                    else:
                        capture.events.append(json.loads(body))
                        refuse = False
                self._reply(503 if refuse else 200, b"{}")

            def _directory(self, body):
                ok = self._signed(body)
                if not ok:
                    return self._reply(401, b"{}")
                query = json.loads(body)
                with capture.lock:
                    capture.directory_calls.append(query)
                    if "account" in query:
                        contacts = capture.accounts.get(query["account"], {})
                        answer = {"phone": contacts.get("phone"), "email": contacts.get("email")}
                    else:
                        answer = {"exists": query["destination"] in capture.users}
                self._reply(200, json.dumps(answer).encode())

            def _sms_vendor(self, vendor, body):
                content_type = self.headers.get("content-type", "").split(";")[0].strip().lower()
                if vendor == "twilio" and content_type != "application/x-www-form-urlencoded":
                    return self._reply(400, json.dumps({"code": 21604, "message": "A 'To' phone number is required.", "status": 400}).encode())
                if vendor == "vonage" and content_type not in ("application/x-www-form-urlencoded", "application/json"):
                    return self._reply(200, b'{"message-count": "1", "messages": [{"status": "2", "error-text": "Missing api_key"}]}')
                form = {k: v[0] for k, v in parse_qs(body.decode()).items()}
                mode = capture.provider_modes[vendor]
                if mode == "hang":
                    time.sleep(capture.hang_seconds)
                if mode in ("fail", "hang"):
                    return self._reply(503, b"Service Unavailable")
                if vendor == "twilio":
                    expected = "Basic " + base64.b64encode(f"{TWILIO_SID}:{TWILIO_TOKEN}".encode()).decode()
                    if self.headers.get("authorization") != expected or TWILIO_SID not in self.path:
                        return self._reply(401, b'{"code": 20003, "message": "Authenticate", "status": 401}')
                    if mode == "invalid":
                        to = form.get("To", "")
                        return self._reply(400, json.dumps({"code": 21211, "message": f"The 'To' number {to} is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}).encode())
                    answer = (201, {"sid": "SM" + "0" * 32, "status": "queued", "to": form.get("To"), "body": form.get("Body")})
                else:
                    if form.get("api_key") != VONAGE_KEY or form.get("api_secret") != VONAGE_SECRET:
                        return self._reply(200, b'{"message-count": "1", "messages": [{"status": "4", "error-text": "Bad Credentials"}]}')
                    status = "7" if mode == "invalid" else "0"
                    answer = (200, {"message-count": "1", "messages": [{"to": form.get("to"), "message-id": "0C000000217B7F02", "status": status}]})
                    form["To"], form["Body"] = "+" + form.get("to", ""), form.get("text", "")
                with capture.lock:
                    capture.provider_messages.append((vendor, form))
                self._reply(answer[0], json.dumps(answer[1]).encode())

            def _resend(self, body):
                if not self.headers.get("user-agent"):
                    with capture.lock:
                        capture.refused.append(("resend", "user-agent"))
                    return self._reply(403, b'{"statusCode": 403, "message": "error code: 1010", "name": "missing_user_agent"}')
                if self.headers.get("authorization") != f"Bearer {RESEND_KEY}":
                    return self._reply(401, b'{"statusCode": 401, "message": "API key is invalid", "name": "validation_error"}')
                if self.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
                    return self._reply(422, b'{"statusCode": 422, "message": "Invalid content type", "name": "validation_error"}')
                email = json.loads(body)
                with capture.lock:
                    capture.provider_messages.append(("resend", {"To": email["to"][0], "Body": email["text"], "email": email,
                                                                 "user_agent": self.headers.get("user-agent")}))
                self._reply(200, b'{"id": "49a3999c-0ce1-4ea6-ab68-afcd6dc2e794"}')

            def _alibaba(self, body):
                url = urlparse(self.path)
                with capture.lock:
                    refusal = alibaba_refusal(self.headers, self.command, url.path, url.query, body,
                                              capture.alibaba_nonces)
                    if refusal:
                        capture.refused.append(("alibaba", refusal))
                if refusal:
                    answer = {"Code": refusal, "Message": "Specified signature is not matched with our calculation.",
                              "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990"}
                    return self._reply(400 if refusal != "InvalidAccessKeyId.NotFound" else 404,
                                       json.dumps(answer).encode())
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                with capture.lock:
                    capture.provider_messages.append(("alibaba", {
                        **query, "To": "+" + query.get("PhoneNumbers", ""), "Body": query.get("TemplateParam", ""),
                        "accept": self.headers.get("accept", "")}))
                self._reply(200, json.dumps({"Code": "OK", "Message": "OK", "BizId": "900619746936498440^0",
                                             "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990"}).encode())

            def _reply(self, status, body):
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
