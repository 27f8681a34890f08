#!/usr/bin/env python3
"""Paced load for benches/throttle.sh: RATE requests per second for DURATION seconds, spread
evenly over the gateways given (round robin), each request at its own scheduled time (not as
fast as possible), on keep-alive connections. Prints one JSON line: requests sent, admitted
(200), throttled (429), other, and the lateness of the schedule.

usage: pace.py RATE DURATION PATH HEADER_OR_- BASE_URL...
"""
import http.client
import json
import sys
import threading
import time
import urllib.parse

rate, duration, path, header = float(sys.argv[1]), float(sys.argv[2]), sys.argv[3], sys.argv[4]
bases = [urllib.parse.urlsplit(b) for b in sys.argv[5:]]
total = int(rate * duration)
workers = 16
counts = {"sent": 0, "admitted": 0, "throttled": 0, "other": 0}
late = []
lock = threading.Lock()
start = time.monotonic() + 0.5


def work(k):
    conns = {}
    mine = {"sent": 0, "admitted": 0, "throttled": 0, "other": 0}
    worst = 0.0
    for i in range(k, total, workers):
        at = start + i / rate
        wait = at - time.monotonic()
        if wait > 0:
            time.sleep(wait)
        else:
            worst = max(worst, -wait)
        base = bases[i % len(bases)]
        conn = conns.get(base.netloc)
        if conn is None:
            conn = conns[base.netloc] = http.client.HTTPConnection(base.netloc, timeout=10)
        headers = {}
        if header != "-":
            name, value = header.split(":", 1)
            headers[name.strip()] = value.strip()
        try:
            conn.request("GET", base.path.rstrip("/") + path, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except OSError:
            conns.pop(base.netloc, None)
            status = 0
        mine["sent"] += 1
        if status == 200:
            mine["admitted"] += 1
        elif status == 429:
            mine["throttled"] += 1
        else:
            mine["other"] += 1
    with lock:
        for key, n in mine.items():
            counts[key] += n
        late.append(worst)


threads = [threading.Thread(target=work, args=(k,)) for k in range(workers)]
for t in threads:
    t.start()
for t in threads:
    t.join()
counts["worst_lateness_ms"] = round(max(late) * 1000, 1)
print(json.dumps(counts))
