#!/usr/bin/env python3
"""Mixed load with faults for benches/soak.sh (stdlib only).

usage: load.py BASE_URL GATEWAY_PID SECONDS [THREADS]

Each thread loops over a weighted mix of request kinds, each with the outcome it must have
(a status, or "aborted" for a streamed body the gateway must cut). Client-side faults (an
upload abandoned half-way, a connection that sends nothing, a client leaving a slow render)
are mixed in. Every second the gateway's RSS is sampled. Prints a table of outcomes per kind,
the unexpected ones, and RSS after warm-up / at the end / peak. Exit 1 on any unexpected
outcome.
"""
import http.client
import os
import random
import socket
import sys
import threading
import time
from collections import Counter, defaultdict
from urllib.parse import urlsplit

BASE = urlsplit(sys.argv[1])
HOST, PORT, PREFIX = BASE.hostname, BASE.port, BASE.path.rstrip("/")
PID = int(sys.argv[2])
SECONDS = float(sys.argv[3])
THREADS = int(sys.argv[4]) if len(sys.argv) > 4 else 16
WARMUP = min(30.0, SECONDS / 5)

FIVE_XX = {"502", "504"}


def fault_5xx(status, headers):
    return status in FIVE_XX and bool(headers.get("x-amzn-errortype"))


# kind: (weight, method, path, body, check(status, headers, body) -> bool or the outcome text)
def kinds():
    k = {}
    k["mock"] = (20, "GET", "/mock", None, lambda s, h, b: s == "200" and b"mock" in b)
    k["buffered-ok"] = (20, "GET", "/buffered/ok", None, lambda s, h, b: s == "200" and b == b'{"length": 11}')
    k["buffered-stall-head"] = (1, "GET", "/buffered/stall-head", None, lambda s, h, b: s == "504")
    k["buffered-stall-body"] = (1, "GET", "/buffered/stall-body", None, lambda s, h, b: s == "504")
    k["buffered-reset"] = (2, "GET", "/buffered/reset", None, fault_5xx_check)
    k["buffered-badchunk"] = (2, "GET", "/buffered/badchunk", None, fault_5xx_check)
    k["buffered-status600"] = (2, "GET", "/buffered/status600", None, fault_5xx_check)
    k["streamed-ok"] = (20, "GET", "/streamed/ok", None, lambda s, h, b: s == "200" and b == b'{"ok":true}')
    k["streamed-big"] = (5, "GET", "/streamed/big", None, lambda s, h, b: s == "200" and len(b) == 256 * 1024)
    k["streamed-chunked"] = (5, "GET", "/streamed/chunked", None, lambda s, h, b: s == "200" and len(b) == 64 * 1024)
    k["streamed-stall-body"] = (1, "GET", "/streamed/stall-body", None, lambda s, h, b: s == "aborted")
    k["streamed-reset"] = (2, "GET", "/streamed/reset", None, lambda s, h, b: s == "aborted")
    k["hostile-template"] = (1, "POST", "/hostile", b"x" * 65536, lambda s, h, b: s == "500")
    k["s3-put-get"] = (15, None, None, None, None)
    k["client-abandons-upload"] = (2, None, None, None, None)
    k["client-idle-connection"] = (1, None, None, None, None)  # closed by the gateway
    k["client-leaves-render"] = (1, None, None, None, None)
    return k


def fault_5xx_check(s, h, b):
    return fault_5xx(s, h)


KINDS = kinds()
NAMES = list(KINDS)
WEIGHTS = [KINDS[n][0] for n in NAMES]

lock = threading.Lock()
outcomes = defaultdict(Counter)
unexpected = []
stop_at = 0.0


def record(kind, outcome, ok, detail=""):
    with lock:
        outcomes[kind][outcome] += 1
        if not ok and len(unexpected) < 50:
            unexpected.append(f"{kind}: {outcome} {detail}".strip())
        elif not ok:
            unexpected.append(None)


def request(conn, method, path, body, headers=None):
    h = {"Content-Type": "application/json", "Accept": "application/json"}
    h.update(headers or {})
    conn.request(method, PREFIX + path, body=body, headers=h)
    r = conn.getresponse()
    try:
        data = r.read()
    except (http.client.IncompleteRead, ConnectionError, OSError):
        return "aborted", dict((k.lower(), v) for k, v in r.getheaders()), b""
    return str(r.status), dict((k.lower(), v) for k, v in r.getheaders()), data


def raw_socket():
    s = socket.create_connection((HOST, PORT), timeout=30)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def client_fault(kind):
    s = raw_socket()
    try:
        if kind == "client-abandons-upload":
            s.sendall(f"PUT {PREFIX}/s3/abandoned HTTP/1.1\r\nHost: x\r\nContent-Type: text/plain\r\n"
                      f"Content-Length: 100000\r\n\r\n".encode() + b"a" * 1000)
            time.sleep(0.05)
        elif kind == "client-idle-connection":
            # Sends nothing: the gateway must close it after its head timeout (2 s).
            s.settimeout(10)
            started = time.monotonic()
            closed = s.recv(1) == b""
            waited = time.monotonic() - started
            record(kind, "closed" if closed else "data", closed and waited < 8, f"after {waited:.1f} s")
            return
        elif kind == "client-leaves-render":
            body = b"x" * 65536
            s.sendall(f"POST {PREFIX}/hostile HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      f"Content-Length: {len(body)}\r\n\r\n".encode() + body)
            time.sleep(0.2)
    finally:
        s.close()
    record(kind, "done", True)


def worker(seed):
    rnd = random.Random(seed)
    conn = None
    n = 0
    while time.monotonic() < stop_at:
        kind = rnd.choices(NAMES, WEIGHTS)[0]
        if kind.startswith("client-"):
            try:
                client_fault(kind)
            except OSError as e:
                record(kind, "error", False, repr(e))
            continue
        if conn is None:
            conn = http.client.HTTPConnection(HOST, PORT, timeout=30)
        try:
            if kind == "s3-put-get":
                n += 1
                key = f"k{seed}-{n % 50}"
                data = bytes(rnd.getrandbits(8) % 26 + 97 for _ in range(rnd.randint(0, 65536)))
                s, h, _ = request(conn, "PUT", f"/s3/{key}", data, {"Content-Type": "text/plain"})
                if s == "200":
                    s, h, b = request(conn, "GET", f"/s3/{key}", None, {"Accept": "text/plain"})
                    ok = s == "200" and b == data
                else:
                    ok = False
                record(kind, s, ok, "" if ok else f"(get/put body mismatch or status {s})")
            else:
                _, method, path, body, check = KINDS[kind]
                s, h, b = request(conn, method, path, body)
                ok = check(s, h, b)
                record(kind, s, ok, "" if ok else f"body={b[:120]!r}")
                if s == "aborted":
                    conn.close()
                    conn = None
        except socket.timeout:
            record(kind, "client-timeout", False)
            conn.close()
            conn = None
        except (ConnectionError, http.client.HTTPException, OSError) as e:
            record(kind, "connection-error", False, repr(e))
            if conn is not None:
                conn.close()
            conn = None


def rss_kib():
    with open(f"/proc/{PID}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def main():
    global stop_at
    c = http.client.HTTPConnection(HOST, PORT, timeout=30)
    c.request("PUT", PREFIX + "/bucket")
    r = c.getresponse()
    r.read()
    if r.status != 200:
        print(f"creating the bucket answered {r.status}", file=sys.stderr)
        sys.exit(2)
    started = time.monotonic()
    stop_at = started + SECONDS
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(THREADS)]
    for t in threads:
        t.start()
    samples = []
    while time.monotonic() < stop_at:
        time.sleep(1.0)
        samples.append((time.monotonic() - started, rss_kib()))
    for t in threads:
        t.join(timeout=60)
    elapsed = time.monotonic() - started
    total = sum(sum(c.values()) for c in outcomes.values())
    print(f"{total} requests in {elapsed:.0f} s ({total / elapsed:.0f}/s), {THREADS} threads")
    print(f"{'kind':26} outcomes")
    for kind in NAMES:
        print(f"{kind:26} " + ", ".join(f"{o}: {n}" for o, n in sorted(outcomes[kind].items())))
    after_warmup = [r for t, r in samples if t >= WARMUP]
    start_rss = after_warmup[0] if after_warmup else 0
    end_rss = samples[-1][1] if samples else 0
    peak = max((r for _, r in samples), default=0)
    print(f"RSS (MiB): after {WARMUP:.0f} s warm-up {start_rss / 1024:.1f}, end {end_rss / 1024:.1f}, "
          f"peak {peak / 1024:.1f}")
    step = max(1, int(SECONDS // 10))
    series = [f"{t:.0f}s {r / 1024:.1f}" for t, r in samples[step - 1::step]]
    print("RSS over time (MiB): " + ", ".join(series))
    bad = [u for u in unexpected]
    print(f"unexpected outcomes: {len(bad)}")
    for u in [u for u in bad if u][:50]:
        print("  " + u)
    alive = any(t.is_alive() for t in threads)
    if alive:
        print("a load thread did not finish (a request hung)")
    sys.exit(1 if bad or alive else 0)


if __name__ == "__main__":
    main()
