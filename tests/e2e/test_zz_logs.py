"""Runs last: no instance's console output holds a code, a token or a full destination."""

import re


def test_logs_leak_nothing(worker, capture):
    log = "".join(p.read_text() for p in worker.log_path.parent.glob("wrangler-dev-*.log"))
    assert '"route":"send"' in log and '"outcome":"approved"' in log, "request lines are logged"
    assert capture.messages, "the suite delivered messages"
    for message in capture.messages:
        assert not re.search(rf"(?<![0-9a-fA-F]){message['code']}(?![0-9a-fA-F])", log), message["code"]
        assert message["to"] not in log
        assert message["jti"] not in log
    assert "eyJ" not in log, "no JWT in logs"
