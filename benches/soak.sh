#!/usr/bin/env bash
# Soak: apigate under ten minutes of mixed load with faults injected, on 127.0.0.1 only.
#
# usage: benches/soak.sh [--duration SECONDS] [--threads N] [--skip-build]
#
# The gateway (release build) serves benches/soak/api.yaml in front of benches/soak/backend.py,
# a backend that stalls, resets, sends bad chunks and status 600 on request, plus a mock, a
# hostile template and the embedded S3 store. benches/soak/load.py drives a weighted mix of
# requests, each with the outcome it must have, mixed with client-side faults (abandoned
# uploads, idle connections, clients leaving a slow render), and samples the gateway's RSS.
# Short timeouts keep faults cheap: streamed bodies idle 2 s (--backend-idle-timeout), request
# heads 2 s (--header-read-timeout); templates get the default 1 s (--template-timeout).
# It prints outcomes per kind, every unexpected one, and RSS after warm-up / at the end / peak;
# exit 1 on any unexpected outcome or a hung request. Not a test: a run takes minutes.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=600
THREADS=16
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) DURATION="$2"; shift 2 ;;
    --threads) THREADS="$2"; shift 2 ;;
    --skip-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

[ "$BUILD" = 1 ] && cargo build --release --locked -p apigate-cli
BIN="${APIGATE_BIN:-target/release/apigate}"
WORK="$(mktemp -d)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

python3 -u benches/soak/backend.py > "$WORK/backend.out" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do grep -q listening "$WORK/backend.out" && break; sleep 0.1; done
BACKEND_PORT="$(awk '/listening/ { print $2 }' "$WORK/backend.out")"
[ -n "$BACKEND_PORT" ] || { echo "soak.sh: the backend did not start" >&2; exit 2; }

"$BIN" serve benches/soak/api.yaml --listen 127.0.0.1:0 --data-dir "$WORK/s3" \
  --stage-variable "backend=127.0.0.1:$BACKEND_PORT" \
  --backend-idle-timeout 2 --header-read-timeout 2 \
  > "$WORK/gateway.out" 2> "$WORK/gateway.err" &
GATEWAY_PID=$!
PIDS+=($GATEWAY_PID)
for _ in $(seq 300); do grep -q 'serving on' "$WORK/gateway.out" && break; sleep 0.1; done
BASE="$(sed -n 's/^apigate: serving on \([^ ]*\).*/\1/p' "$WORK/gateway.out")"
[ -n "$BASE" ] || { echo "soak.sh: the gateway did not start:" >&2; cat "$WORK/gateway.err" >&2; exit 2; }
echo "== soak: $DURATION s, $THREADS threads, gateway $BASE (pid $GATEWAY_PID), backend 127.0.0.1:$BACKEND_PORT"

status=0
python3 -u benches/soak/load.py "$BASE" "$GATEWAY_PID" "$DURATION" "$THREADS" || status=$?

kill -TERM "$GATEWAY_PID"
for _ in $(seq 150); do kill -0 "$GATEWAY_PID" 2>/dev/null || break; sleep 0.2; done
if kill -0 "$GATEWAY_PID" 2>/dev/null; then
  echo "soak.sh: the gateway did not stop within 30 s of SIGTERM" >&2
  status=1
fi
echo "gateway log: $(wc -l < "$WORK/gateway.err") lines; warnings by message:"
grep -o 'WARN.*' "$WORK/gateway.err" | sed 's/request_id=[^ ]* //; s/[0-9a-f-]\{36\}//g' \
  | cut -c1-140 | sort | uniq -c | sort -rn | head -15 || true
exit "$status"
