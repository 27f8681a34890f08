#!/usr/bin/env python3
"""Print the SigV4 headers (one "Name: value" per line) for a body-less S3 request.

Usage: sigv4.py METHOD HOST PATH [REGION]
Reads the key pair from AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY. Standard library only.
Signs the headers host, x-amz-content-sha256 (hash of the empty body) and x-amz-date; the
signature stays valid for the store's clock-skew window (15 minutes), so a load generator can
replay the same headers for a whole run. PATH must already be in canonical (URI-encoded) form;
query strings are not supported (the benchmark needs none).
"""
import datetime
import hashlib
import hmac
import os
import sys

EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()


def _hmac(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def sign(method, host, path, region, access_key, secret_key, service="s3", now=None):
    now = now or datetime.datetime.now(datetime.timezone.utc)
    amz_date = now.strftime("%Y%m%dT%H%M%SZ")
    day = amz_date[:8]
    signed = "host;x-amz-content-sha256;x-amz-date"
    canonical = "\n".join([
        method,
        path,
        "",  # no query string
        f"host:{host}\nx-amz-content-sha256:{EMPTY_SHA256}\nx-amz-date:{amz_date}\n",
        signed,
        EMPTY_SHA256,
    ])
    scope = f"{day}/{region}/{service}/aws4_request"
    to_sign = "\n".join([
        "AWS4-HMAC-SHA256",
        amz_date,
        scope,
        hashlib.sha256(canonical.encode("utf-8")).hexdigest(),
    ])
    key = _hmac(("AWS4" + secret_key).encode("utf-8"), day)
    for part in (region, service, "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode("utf-8"), hashlib.sha256).hexdigest()
    return [
        ("x-amz-date", amz_date),
        ("x-amz-content-sha256", EMPTY_SHA256),
        ("Authorization",
         f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, "
         f"SignedHeaders={signed}, Signature={signature}"),
    ]


def main(argv):
    if len(argv) not in (4, 5):
        sys.stderr.write(__doc__)
        return 2
    method, host, path = argv[1], argv[2], argv[3]
    region = argv[4] if len(argv) == 5 else "us-east-1"
    try:
        access_key = os.environ["AWS_ACCESS_KEY_ID"]
        secret_key = os.environ["AWS_SECRET_ACCESS_KEY"]
    except KeyError as e:
        sys.stderr.write(f"sigv4.py: {e.args[0]} is not set\n")
        return 2
    for name, value in sign(method, host, path, region, access_key, secret_key):
        print(f"{name}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
