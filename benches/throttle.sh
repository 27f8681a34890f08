#!/usr/bin/env bash
# Throttling benchmark: requests at twice the configured rate for 10 s; the admitted rate must
# be within ±10 % of RateLimit plus the burst spread over the run ((RateLimit × 10 s +
# BurstLimit) / 10 s). On 127.0.0.1 only. Not a test: it measures, and a loaded machine can
# move the figures.
#
# usage: benches/throttle.sh [--rate R] [--burst B] [--duration S] [--skip-build]
#
# Three runs, each against a fresh gateway (release build) serving benches/throttle/api.yaml:
#   plan   — one API key's usage-plan throttle (RateLimit R, BurstLimit B), counters in-process;
#   stage  — the stage's MethodSettings throttle (every caller), counters in-process;
#   shared — the usage-plan throttle with two gateways sharing one redis-server (--state),
#            the load split between them: together they must admit what one would.
# benches/throttle/pace.py sends the paced load and counts 200s and 429s. Exit 1 when a run
# is outside ±10 %. Needs python3 and, for the shared run, redis-server.
set -euo pipefail
cd "$(dirname "$0")/.."

RATE=50
BURST=10
DURATION=10
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --rate) RATE="$2"; shift 2 ;;
    --burst) BURST="$2"; shift 2 ;;
    --duration) DURATION="$2"; shift 2 ;;
    --skip-build) BUILD=0; shift ;;
    -h|--help) sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "throttle.sh: unknown argument $1" >&2; exit 2 ;;
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

KEY=bench-0123456789abcdefghij
cat > "$WORK/config.yaml" <<YAML
Stage:
  MethodSettings:
    - {ResourcePath: /stage, HttpMethod: GET, ThrottlingRateLimit: $RATE, ThrottlingBurstLimit: $BURST}
ApiKeys:
  - {Name: bench, Value: $KEY, Enabled: true}
UsagePlans:
  - UsagePlanName: bench
    ApiStages: [{Stage: bench}]
    Throttle: {RateLimit: $RATE, BurstLimit: $BURST}
    ApiKeys: [bench]
YAML

# Starts a gateway with extra arguments; its base URL goes to the variable named first.
gateway() {
  local into="$1"
  shift
  local n=${#PIDS[@]}
  "$BIN" serve benches/throttle/api.yaml --config "$WORK/config.yaml" --listen 127.0.0.1:0 \
    --data-dir "$WORK/s3" "$@" > "$WORK/gateway$n.out" 2> "$WORK/gateway$n.err" &
  PIDS+=($!)
  for _ in $(seq 300); do grep -q 'serving on' "$WORK/gateway$n.out" && break; sleep 0.1; done
  local base
  base="$(sed -n 's/^apigate: serving on \([^ ]*\).*/\1/p' "$WORK/gateway$n.out")"
  [ -n "$base" ] || { echo "throttle.sh: a gateway did not start:" >&2; cat "$WORK/gateway$n.err" >&2; exit 2; }
  printf -v "$into" '%s' "$base"
}

stop_gateways() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  PIDS=()
}

LOAD=$(python3 -c "print($RATE * 2)")
EXPECTED=$(python3 -c "print(($RATE * $DURATION + $BURST) / $DURATION)")
echo "== throttle: RateLimit $RATE/s, BurstLimit $BURST, load ${LOAD}/s for ${DURATION} s; expected admitted rate $EXPECTED/s (±10 %)"
failed=0
report() {
  local name="$1" result="$2"
  python3 - "$name" "$result" "$DURATION" "$EXPECTED" <<'PY' || failed=1
import json, sys
name, result, duration, expected = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
rate = result["admitted"] / duration
off = (rate - expected) / expected * 100
ok = abs(off) <= 10 and result["other"] == 0
print(f"{name:7} sent {result['sent']:5}  admitted {result['admitted']:5}  429 {result['throttled']:5}  "
      f"other {result['other']}  admitted rate {rate:7.2f}/s ({off:+.1f} %)  "
      f"schedule lateness ≤ {result['worst_lateness_ms']} ms  {'ok' if ok else 'OUTSIDE ±10 %'}")
sys.exit(0 if ok else 1)
PY
}

gateway BASE
report plan "$(python3 benches/throttle/pace.py "$LOAD" "$DURATION" /plan "x-api-key: $KEY" "$BASE")"
stop_gateways

gateway BASE
report stage "$(python3 benches/throttle/pace.py "$LOAD" "$DURATION" /stage - "$BASE")"
stop_gateways

if command -v redis-server >/dev/null; then
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  redis-server --port "$PORT" --bind 127.0.0.1 --save '' --appendonly no > "$WORK/redis.out" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do redis-cli -p "$PORT" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
  gateway A --state "redis://127.0.0.1:$PORT"
  gateway B --state "redis://127.0.0.1:$PORT"
  report shared "$(python3 benches/throttle/pace.py "$LOAD" "$DURATION" /plan "x-api-key: $KEY" "$A" "$B")"
  stop_gateways
else
  echo "shared  skipped: no redis-server (apt-get install redis-server)"
fi
exit $failed
