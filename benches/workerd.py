"""The end-to-end benchmark (scripts/bench): send+check cycles through `wrangler dev`
(real workerd, local KV, local Durable Objects) against the loopback provider of the
e2e suite, in KV mode and in strict mode, and a no-op JS worker measured in the same
run as the CPU baseline.

Printed per mode: KV reads and writes and Durable Object calls per send and per
check (summed from the worker's request log lines, so they are exact counts), the
same for SMS sends (where the money caps' leases show), workerd CPU per cycle
(user+system time of the workerd processes, from /proc), the no-op request's CPU,
and p50/p99 wall time per cycle; `GET /healthz` CPU per request beside the no-op
request; and the cold start: workerd CPU from process start to the first answered
request, median of 3 starts (module compile and instantiation, plus workerd's own
boot, which the no-op worker shows alone). Figures, not assertions: the machine is shared.
The JSON goes to tests/artifacts/bench.json.
"""

import json
import os
import pathlib
import statistics
import subprocess
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

from capture import Capture  # noqa: E402
from conftest import ARTIFACTS, WEBHOOK_SECRET, Client, free_port, start_worker  # noqa: E402

CYCLES = int(os.environ.get("BENCH_CYCLES", "100"))
TICKS = os.sysconf("SC_CLK_TCK")


def group_pids(pgid):
    pids = []
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if os.getpgid(int(entry.name)) == pgid:
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def workerd_cpu(pgid):
    """CPU seconds (user + system) of the workerd processes of a process group."""
    total = 0
    for pid in group_pids(pgid):
        try:
            if b"workerd" not in pathlib.Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / TICKS


def log_lines(path, start):
    """The worker's request log lines written after byte `start`."""
    with open(path, "rb") as f:
        f.seek(start)
        text = f.read().decode(errors="replace")
    for line in text.splitlines():
        line = line.strip()
        at = line.find('{"')
        if at >= 0 and '"request_id"' in line:
            try:
                yield json.loads(line[at:])
            except ValueError:
                pass


def op_counts(lines, route):
    rows = [l for l in lines if l.get("route") == route]
    if not rows or "kv_reads" not in rows[0]:
        return None
    n = len(rows)
    return {
        "requests": n,
        "kv_reads": sum(l["kv_reads"] for l in rows) / n,
        "kv_writes": sum(l["kv_writes"] for l in rows) / n,
        "do_calls": sum(l["do_calls"] for l in rows) / n,
    }


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def run_cycles(client, capture, mode):
    pgid = client.process.pid
    for i in range(5):  # warm-up: the first requests compile and start the isolate
        client.send(f"warm{i}.{mode}@bench.example", "192.0.2.1")
    start = client.log_path.stat().st_size
    cpu0 = workerd_cpu(pgid)
    walls = []
    for i in range(CYCLES):
        email = f"bench{i}.{mode}@bench.example"
        t0 = time.perf_counter()
        r = client.send(email, f"192.0.2.{i % 250 + 1}")
        assert r.status == 200, r.json
        code = capture.latest(email)["code"]
        c = client.check(r.json["verification_id"], code)
        assert c.status == 200, c.json
        walls.append((time.perf_counter() - t0) * 1000)
    cpu = (workerd_cpu(pgid) - cpu0) / CYCLES
    time.sleep(0.5)
    lines = list(log_lines(client.log_path, start))
    email_send, check = op_counts(lines, "send"), op_counts(lines, "check")
    # SMS: numbers of one block (distinct numbers, no cooldown between them), where
    # the money caps' leases are amortised over the sends.
    start = client.log_path.stat().st_size
    for i in range(CYCLES):
        r = client.send(f"+14155551{i:03d}", f"192.0.2.{i % 250 + 1}")
        assert r.status == 200, r.json
    time.sleep(0.5)
    sms_send = op_counts(list(log_lines(client.log_path, start)), "send")
    return {
        "cycles": CYCLES,
        "email_send": email_send,
        "check": check,
        "sms_send": sms_send,
        "workerd_cpu_ms_per_cycle": round(cpu * 1000, 3),
        "wall_ms_p50": round(percentile(walls, 50), 2),
        "wall_ms_p99": round(percentile(walls, 99), 2),
    }


BATCHES = 3


def cpu_per_request(pid, request):
    """workerd CPU per request: the least of BATCHES batches' means (2 x CYCLES
    requests each, so the 10 ms clock tick is ~2% of a batch). The machines are
    shared: other work lands in workerd's CPU time now and then (one run's mean
    was 2x the next's), and only ever adds to it."""
    size = 2 * CYCLES
    means = []
    for _ in range(BATCHES):
        cpu0 = workerd_cpu(pid)
        for _ in range(size):
            request()
        means.append((workerd_cpu(pid) - cpu0) / size)
    return min(means)


def healthz_cpu(client):
    """workerd CPU per `GET /healthz` (after a warm-up)."""
    for _ in range(20):
        client.request("GET", "/healthz")

    def probe():
        assert client.request("GET", "/healthz").status == 200

    return cpu_per_request(client.process.pid, probe)


def noop_cpu(requests_too=True):
    """workerd CPU at the first answered request, and per request, of a no-op JS
    worker (2 requests per cycle: a send and a check)."""
    port, inspector = free_port(), free_port()
    env = dict(os.environ, WRANGLER_SEND_METRICS="false", CLOUDFLARE_CF_FETCH_ENABLED="false", CI="true")
    log = open(ARTIFACTS / "wrangler-dev-noop.log", "w")
    process = subprocess.Popen(
        ["npx", "--no-install", "wrangler", "dev", "--config", str(ROOT / "benches" / "noop" / "wrangler.toml"),
         "--ip", "127.0.0.1", "--port", str(port), "--inspector-port", str(inspector),
         "--show-interactive-dev-session=false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    client = Client(f"http://127.0.0.1:{port}")
    try:
        deadline = time.time() + 120
        while True:
            try:
                if client.request("GET", "/").status == 200:
                    break
            except OSError:
                pass
            if time.time() > deadline:
                raise RuntimeError("the no-op worker did not start")
            time.sleep(0.5)
        startup = workerd_cpu(process.pid)
        if not requests_too:
            return startup, None
        for _ in range(10):
            client.request("GET", "/")
        return startup, cpu_per_request(process.pid, lambda: client.request("GET", "/"))
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=20)
        log.close()


STARTS = 3


def cold_starts(capture):
    """workerd CPU to the first answer, median of STARTS starts each, of this worker
    (fresh local state every time) and of the no-op worker."""
    ours = []
    for i in range(STARTS):
        client, stop = start_worker(f"bench-cold{i}", capture, {"EVENTS_URL": ""})
        ours.append(workerd_cpu(client.process.pid))
        stop()
    noop = [noop_cpu(requests_too=False)[0] for _ in range(STARTS)]
    return statistics.median(ours), statistics.median(noop)


def main():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    capture = Capture(WEBHOOK_SECRET).start()
    results = {}
    try:
        for mode in ["kv", "durable"]:
            # Lifecycle events off (as deployed by default): each would add a fetch.
            variables = {"CONSISTENCY": mode, "IP_HOURLY_CAP": "1000000", "NUMBER_BLOCK_HOURLY_CAP": "100000",
                         "RESEND_COOLDOWN": "0", "EVENTS_URL": ""}
            client, stop = start_worker(f"bench-{mode}", capture, variables)
            try:
                results[mode] = run_cycles(client, capture, mode)
                if mode == "kv":
                    results["healthz_cpu_ms"] = round(healthz_cpu(client) * 1000, 3)
            finally:
                stop()
        _, noop = noop_cpu()
        startup, noop_startup = cold_starts(capture)
    finally:
        capture.stop()
    results["noop_request_cpu_ms"] = round(noop * 1000, 3)
    results["healthz_vs_noop_request"] = round(results["healthz_cpu_ms"] / (noop * 1000), 2) if noop else None
    results["startup_cpu_ms"] = round(startup * 1000, 1)
    results["noop_startup_cpu_ms"] = round(noop_startup * 1000, 1)
    for mode in ["kv", "durable"]:
        cycle = results[mode]["workerd_cpu_ms_per_cycle"] / 1000
        # A cycle is two requests; the ratio compares it with one no-op request.
        results[mode]["cpu_per_cycle_vs_noop_request"] = round(cycle / noop, 2) if noop else None
    (ARTIFACTS / "bench.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
