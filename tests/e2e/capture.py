"""A loopback server that plays the message provider for the `webhook` provider.

It authenticates every delivery the way a real receiver must (HMAC-SHA256 over
"timestamp.body" with the shared secret, timestamp within five minutes), keeps the
messages, and can be told to fail, hang past the worker's timeout, or reject.
"""

import hashlib
import hmac
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Capture:
    def __init__(self, secret: bytes):
        self.secret = secret
        self.messages = []
        self.unauthenticated = 0
        self.mode = "ok"  # ok | fail | hang | reject
        self.hang_seconds = 5.0
        self.lock = threading.Lock()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

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

    def _handler(self):
        capture = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                mode = capture.mode
                if mode == "hang":
                    time.sleep(capture.hang_seconds)
                if mode in ("fail", "hang"):
                    return self._reply(500, b'{"error":"provider down"}')
                if mode == "reject":
                    return self._reply(422, b'{"error":"vendor says: number 555 is on blocklist XYZ"}')
                ok = capture.authentic(
                    self.headers.get("x-edge-otp-timestamp", ""),
                    self.headers.get("x-edge-otp-signature", ""),
                    body,
                )
                with capture.lock:
                    if not ok:
                        capture.unauthenticated += 1
                    else:
                        capture.messages.append(json.loads(body))
                self._reply(200 if ok else 401, b"{}")

            def _reply(self, status, body):
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        return Handler
