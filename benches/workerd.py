"""The end-to-end benchmark (scripts/bench): send+check cycles through `wrangler dev`
(real workerd, local KV, local Durable Objects) against the loopback provider of the
e2e suite, in KV mode and in strict mode, and a no-op JS worker measured in the same
run as the CPU baseline.

Printed per mode: KV reads and writes and Durable Object calls per send and per
check (summed from the worker's request log lines, so they are exact counts), the
same for SMS sends (where the money caps' leases show), workerd CPU per cycle
(user+system time of the workerd processes, from /proc), and p50/p99 wall time per
cycle. Then `GET /healthz` CPU per request measured in turns with the no-op
request (both workers running, batch after batch), and the cold start: workerd CPU
from process start to the first answered request, median of 3 starts (module
compile and instantiation, plus workerd's own boot, which the no-op worker shows
alone). Figures, not assertions: the machine is shared.
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
    time.sleep(0.5)  # the warm-up's log lines land before the count starts
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


PAIRS = 10


def batch_cpu(client, path):
    """workerd CPU per request over one batch of 2 x CYCLES `GET path` (the 10 ms
    clock tick is ~2% of a batch)."""
    size = 2 * CYCLES
    cpu0 = workerd_cpu(client.process.pid)
    for _ in range(size):
        assert client.request("GET", path).status == 200
    return (workerd_cpu(client.process.pid) - cpu0) / size


def healthz_beside_noop(client, noop):
    """`GET /healthz` of this worker and the no-op request, measured in turns: PAIRS
    pairs of batches, each batch of one worker right after the other's, both
    workers running all along. The machines are shared: other work lands in
    workerd's CPU time now and then (one run's no-op figure was 1.4 ms, the next
    hour's 2.3 ms), so a figure is only compared with its neighbour. Returns the
    median per-request CPU of each and the median of the pairs' ratios."""
    for _ in range(20):  # warm-up
        client.request("GET", "/healthz")
        noop.request("GET", "/")
    ours, base = [], []
    for _ in range(PAIRS):
        ours.append(batch_cpu(client, "/healthz"))
        base.append(batch_cpu(noop, "/"))
    ratios = [o / b for o, b in zip(ours, base) if b]
    return statistics.median(ours), statistics.median(base), statistics.median(ratios) if ratios else None


def start_noop():
    """Starts the no-op JS worker; returns its client, a stop function and its
    workerd CPU at the first answered request."""
    port, inspector = free_port(), free_port()
    env = dict(os.environ, WRANGLER_SEND_METRICS="false", CLOUDFLARE_CF_FETCH_ENABLED="false", CI="true")
    log = open(ARTIFACTS / "wrangler-dev-noop.log", "w")
    process = subprocess.Popen(
        ["npx", "--no-install", "wrangler", "dev", "--config", str(ROOT / "benches" / "noop" / "wrangler.toml"),
         "--ip", "127.0.0.1", "--port", str(port), "--inspector-port", str(inspector),
         "--show-interactive-dev-session=false"],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
    client = Client(f"http://127.0.0.1:{port}")
    client.process = process

    def stop():
        os.killpg(process.pid, 15)
        process.wait(timeout=20)
        log.close()

    deadline = time.time() + 120
    while True:
        try:
            if client.request("GET", "/").status == 200:
                break
        except OSError:
            pass
        if time.time() > deadline:
            stop()
            raise RuntimeError("the no-op worker did not start")
        time.sleep(0.5)
    return client, stop, workerd_cpu(process.pid)


STARTS = 3


def cold_starts(capture):
    """workerd CPU to the first answer, median of STARTS starts each, of this worker
    (fresh local state every time) and of the no-op worker."""
    ours, noop = [], []
    for i in range(STARTS):
        client, stop = start_worker(f"bench-cold{i}", capture, {"EVENTS_URL": ""})
        ours.append(workerd_cpu(client.process.pid))
        stop()
        _, stop, startup = start_noop()
        noop.append(startup)
        stop()
    return statistics.median(ours), statistics.median(noop)


def main():
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    capture = Capture(WEBHOOK_SECRET).start()
    results = {}
    try:
        noop, stop_noop, _ = start_noop()
        try:
            for mode in ["kv", "durable"]:
                # Lifecycle events off (as deployed by default): each would add a fetch.
                variables = {"CONSISTENCY": mode, "IP_HOURLY_CAP": "1000000", "NUMBER_BLOCK_HOURLY_CAP": "100000",
                             "RESEND_COOLDOWN": "0", "EVENTS_URL": ""}
                client, stop = start_worker(f"bench-{mode}", capture, variables)
                try:
                    results[mode] = run_cycles(client, capture, mode)
                    if mode == "kv":
                        healthz, noop_cpu, ratio = healthz_beside_noop(client, noop)
                finally:
                    stop()
        finally:
            stop_noop()
        startup, noop_startup = cold_starts(capture)
    finally:
        capture.stop()
    results["healthz_cpu_ms"] = round(healthz * 1000, 3)
    results["noop_request_cpu_ms"] = round(noop_cpu * 1000, 3)
    results["healthz_vs_noop_request"] = round(ratio, 2) if ratio else None
    results["startup_cpu_ms"] = round(startup * 1000, 1)
    results["noop_startup_cpu_ms"] = round(noop_startup * 1000, 1)
    for mode in ["kv", "durable"]:
        cycle = results[mode]["workerd_cpu_ms_per_cycle"] / 1000
        # A cycle is two requests; the ratio compares it with one no-op request.
        results[mode]["cpu_per_cycle_vs_noop_request"] = round(cycle / noop_cpu, 2) if noop_cpu else None
    (ARTIFACTS / "bench.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
