#!/usr/bin/env python3
"""A streaming HTTP backend for the http_proxy 1 GiB check of benches/proxy.sh.

  GET /big/N   streams N bytes of a repeating pattern, 1 MiB at a time (Content-Length: N)
  PUT /sink    reads the body 1 MiB at a time, answers {"bytes": n, "sha256": "..."}

Usage: stream_backend.py PORT   (listens on 127.0.0.1)
"""
import hashlib
import http.server
import json
import sys

CHUNK = 1 << 20
PATTERN = bytes(range(256)) * (CHUNK // 256)


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        parts = self.path.split("/")
        if len(parts) != 3 or parts[1] != "big" or not parts[2].isdigit():
            self.send_error(404)
            return
        n = int(parts[2])
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(n))
        self.end_headers()
        left = n
        while left > 0:
            piece = PATTERN[: min(CHUNK, left)]
            self.wfile.write(piece)
            left -= len(piece)

    def do_PUT(self):
        if self.path != "/sink":
            self.send_error(404)
            return
        left = int(self.headers.get("Content-Length", "0"))
        digest = hashlib.sha256()
        total = 0
        while left > 0:
            piece = self.rfile.read(min(CHUNK, left))
            if not piece:
                break
            digest.update(piece)
            total += len(piece)
            left -= len(piece)
        body = json.dumps({"bytes": total, "sha256": digest.hexdigest()}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


if __name__ == "__main__":
    http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
