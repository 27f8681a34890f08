#!/usr/bin/env bash
# Proxy benchmark: apigate vs the bare store vs nginx, on one backend, in one run.
#
# Usage: benches/proxy.sh [--duration SECONDS] [--rounds N] [--skip-1g] [--skip-ops] [--log LEVEL] [--verbose]
#
#   --duration SECONDS  length of each measured wrk run (default 6); each is preceded by an
#                       unmeasured 2 s warm-up on the same target
#   --rounds N          rounds per object size (default 3): each round runs every target once,
#                       so a machine that speeds up or slows down during the run affects all
#                       targets alike; figures are the medians over the rounds, and the ratios
#                       the medians of each round's ratio
#   --skip-1g           skip the 1 GiB PUT/GET and peak-RSS check
#   --skip-ops          skip the two production-setup targets (apigate-obs: access log + metrics
#                       on; apigate-tls: TLS)
#   --log LEVEL         APIGATE_LOG for the gateway (default warn: no per-request log line,
#                       like nginx's `access_log off`; `info` logs every request)
#   --verbose           print every raw wrk output (they are printed anyway when a run saw
#                       non-2xx responses or socket errors)
#
# What it does (all traffic stays on 127.0.0.1):
#   1. installs wrk / nginx-light / curl / python3 with apt when missing, builds
#      `cargo build --release -p apigate-cli`;
#   2. starts `apigate serve openapi/mys3.yaml --no-auth` (embedded S3 store in-process) and a
#      plain nginx reverse proxy in front of that same store;
#   3. uploads 1 KiB and 1 MiB objects through apigate, then for each size runs, round after
#      round, wrk with the same threads/connections/duration against: the store directly
#      (SigV4-signed headers, computed by benches/proxy/sigv4.py before each run), nginx ->
#      store (same signed headers, Host kept), apigate -> store in-process (unsigned; apigate
#      signs upstream), and apigate-tcp -> store over TCP (--s3-endpoint);
#      With the production targets (unless --skip-ops), two more gateways in front of the same
#      store in-process: apigate-obs (--admin-listen, --access-log to a file in a JSON format)
#      and apigate-tls (--tls-cert/--tls-key, a self-signed certificate made with openssl; wrk
#      over HTTPS, HTTP/1.1);
#   4. prints req/s, p50, p99 (and the servers' CPU time per request) per target (medians over
#      the rounds), the ratios of apigate and apigate-tcp to direct and nginx, and the targets:
#      1 KiB apigate/nginx >= 1.0; the TCP path (the one used with MinIO or real S3):
#      1 KiB apigate-tcp/nginx >= 1.2, apigate-tcp/direct >= 0.9, p99 <= nginx's; 1 MiB
#      apigate-tcp/nginx >= 1.0; the cost of access log + metrics: 1 KiB apigate-obs/apigate
#      >= 0.95 (issue 17: at most 5% of throughput), with every request logged or counted as
#      dropped; TLS's cost is reported (apigate-tls/apigate), not held to a target;
#   5. on a fresh apigate process (same data dir), PUTs then GETs a 1 GiB object through
#      apigate (integrity checked with cmp), and reports throughput and apigate's peak RSS
#      (VmHWM; target <= 32 MiB).
# Exit status: 0 when every target is met, 1 when one is missed, 2 on a setup/correctness error.
# Everything started here (apigate, nginx, wrk, temp dir) is removed on exit.

set -euo pipefail

DURATION=6
ROUNDS=3
SKIP_1G=0
SKIP_OPS=0
LOG_LEVEL=warn
VERBOSE=0
THREADS=2
CONN_1K=32
CONN_1M=8
WARMUP=2
RSS_TARGET_MIB=32

usage() { sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
    case "$1" in
        --duration)
            [ $# -ge 2 ] || { usage >&2; exit 2; }
            DURATION="$2"; shift 2 ;;
        --duration=*) DURATION="${1#*=}"; shift ;;
        --rounds)
            [ $# -ge 2 ] || { usage >&2; exit 2; }
            ROUNDS="$2"; shift 2 ;;
        --rounds=*) ROUNDS="${1#*=}"; shift ;;
        --skip-1g) SKIP_1G=1; shift ;;
        --skip-ops) SKIP_OPS=1; shift ;;
        --log)
            [ $# -ge 2 ] || { usage >&2; exit 2; }
            LOG_LEVEL="$2"; shift 2 ;;
        --log=*) LOG_LEVEL="${1#*=}"; shift ;;
        --verbose) VERBOSE=1; shift ;;
        -h|--help) usage; exit 0 ;;
        *) echo "proxy.sh: unknown argument: $1" >&2; usage >&2; exit 2 ;;
    esac
done
case "$DURATION" in
    ''|*[!0-9]*|0) echo "proxy.sh: --duration needs a positive whole number of seconds" >&2; exit 2 ;;
esac
case "$ROUNDS" in
    ''|*[!0-9]*|0) echo "proxy.sh: --rounds needs a positive whole number" >&2; exit 2 ;;
esac

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SIGNER="$ROOT/benches/proxy/sigv4.py"
NGINX_TEMPLATE="$ROOT/benches/proxy/nginx.conf.in"
REGION=us-east-1

log() { printf '== %s\n' "$*"; }
die() { printf 'proxy.sh: ERROR: %s\n' "$*" >&2; exit 2; }

# ---------------------------------------------------------------- tools
need_apt=()
command -v wrk >/dev/null 2>&1 || need_apt+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need_apt+=(nginx-light)
command -v curl >/dev/null 2>&1 || need_apt+=(curl)
command -v python3 >/dev/null 2>&1 || need_apt+=(python3)
command -v cmp >/dev/null 2>&1 || need_apt+=(diffutils)
[ "$SKIP_OPS" = 1 ] || command -v openssl >/dev/null 2>&1 || need_apt+=(openssl)
if [ ${#need_apt[@]} -gt 0 ]; then
    log "installing ${need_apt[*]} with apt"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
NGINX_BIN="$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)"

log "building apigate (cargo build --release -p apigate-cli)"
(cd "$ROOT" && cargo build --release -p apigate-cli)
BIN="$ROOT/target/release/apigate"
[ -x "$BIN" ] || die "no binary at $BIN after the build"

# ---------------------------------------------------------------- processes and cleanup
WORK="$(mktemp -d "${TMPDIR:-/tmp}/apigate-proxy-bench.XXXXXX")"
APIGATE_PID=""
APIGATE_TCP_PID=""
APIGATE_OBS_PID=""
APIGATE_TLS_PID=""
PY_PID=""
NGINX_PID=""

stop_pid() { # stop_pid PID: TERM, wait up to 15 s, then KILL
    local pid="$1" _
    [ -n "$pid" ] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 150); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        echo "proxy.sh: process $pid did not stop on SIGTERM within 15 s; killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# shellcheck disable=SC2317  # invoked by the EXIT trap
cleanup() {
    local rc=$?
    set +e
    stop_pid "$NGINX_PID"
    stop_pid "$APIGATE_PID"
    stop_pid "$APIGATE_TCP_PID"
    stop_pid "$APIGATE_OBS_PID"
    stop_pid "$APIGATE_TLS_PID"
    stop_pid "$PY_PID"
    rm -rf "$WORK"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Store credentials: the embedded store uses exactly the environment's key pair.
AWS_ACCESS_KEY_ID="AKIABENCH$(python3 -c 'import secrets; print(secrets.token_hex(6).upper())')"
AWS_SECRET_ACCESS_KEY="$(python3 -c 'import secrets; print(secrets.token_urlsafe(30)[:40])')"
export AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY
export AWS_EC2_METADATA_DISABLED=true
unset AWS_SESSION_TOKEN AWS_PROFILE AWS_ENDPOINT_URL 2>/dev/null || true

DATA_DIR="$WORK/data"
mkdir -p "$DATA_DIR"
APIGATE_PORT=""
STORE_PORT=""

start_apigate() { # start_apigate TAG
    local out="$WORK/apigate-$1.out" err="$WORK/apigate-$1.err" line
    APIGATE_LOG="$LOG_LEVEL" "$BIN" serve "$ROOT/openapi/mys3.yaml" \
        --listen 127.0.0.1:0 --data-dir "$DATA_DIR" --no-auth --region "$REGION" \
        >"$out" 2>"$err" &
    APIGATE_PID=$!
    for _ in $(seq 1 300); do
        if grep -q 'apigate: serving on ' "$out" 2>/dev/null; then break; fi
        if ! kill -0 "$APIGATE_PID" 2>/dev/null; then
            cat "$out" "$err" >&2
            APIGATE_PID=""
            die "apigate exited during startup"
        fi
        sleep 0.1
    done
    grep -q 'apigate: serving on ' "$out" || { cat "$out" "$err" >&2; die "apigate did not start within 30 s"; }
    [ "$(cat "/proc/$APIGATE_PID/comm" 2>/dev/null)" = "apigate" ] \
        || die "PID $APIGATE_PID is not the apigate process (comm: $(cat "/proc/$APIGATE_PID/comm" 2>/dev/null))"
    line="$(grep 'apigate: serving on ' "$out")"
    APIGATE_PORT="$(sed -E 's|.*http://127\.0\.0\.1:([0-9]+)/.*|\1|' <<<"$line")"
    line="$(grep 'embedded S3 store at ' "$out")"
    STORE_PORT="$(sed -E 's|.*http://127\.0\.0\.1:([0-9]+).*|\1|' <<<"$line")"
    case "$APIGATE_PORT$STORE_PORT" in
        ''|*[!0-9]*) cat "$out" >&2; die "cannot read the ports from apigate's output" ;;
    esac
    grep -q "store credentials: this environment's AWS_ACCESS_KEY_ID ($AWS_ACCESS_KEY_ID)" "$out" \
        || { cat "$out" >&2; die "the embedded store does not use this environment's key pair"; }
}

proc_kib() { # proc_kib PID FIELD -> value in KiB
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status"
}
mib() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

# ---------------------------------------------------------------- machine
log "machine and versions"
echo "  cpus:    $(nproc) x $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
echo "  memory:  $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo); kernel $(uname -r)"
# shellcheck disable=SC1091
echo "  os:      $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME")"
echo "  wrk:     $(wrk -v 2>&1 | head -1 | awk '{ print $1, $2 }')"
echo "  nginx:   $("$NGINX_BIN" -v 2>&1 | sed 's/^nginx version: //')"
echo "  curl:    $(curl --version | head -1 | awk '{ print $2 }')"
echo "  apigate: $(git -C "$ROOT" describe --always --dirty --tags 2>/dev/null || echo unknown) ($("$BIN" --version 2>/dev/null)), APIGATE_LOG=$LOG_LEVEL"
echo "  rustc:   $(rustc --version 2>/dev/null || echo unknown)"
echo "  load average before the runs: $(cut -d' ' -f1-3 /proc/loadavg) (other work on these $(nproc) cores skews every figure below)"
echo "  wrk settings: -t$THREADS -d${DURATION}s --latency; 1 KiB: -c$CONN_1K, 1 MiB: -c$CONN_1M (identical across targets); ${WARMUP}s warm-up before each; $ROUNDS round(s) of all targets per size"

# ---------------------------------------------------------------- servers
log "starting apigate"
start_apigate load
echo "  apigate on 127.0.0.1:$APIGATE_PORT (pid $APIGATE_PID), embedded store on 127.0.0.1:$STORE_PORT"
echo "    (apigate reaches its embedded store in-process: the same signed requests, no socket)"

# A second gateway in front of the same store over TCP (--s3-endpoint): the hop nginx makes.
APIGATE_LOG="$LOG_LEVEL" "$BIN" serve "$ROOT/openapi/mys3.yaml" \
    --listen 127.0.0.1:0 --no-auth --region "$REGION" --s3-endpoint "http://127.0.0.1:$STORE_PORT" \
    >"$WORK/apigate-tcp.out" 2>"$WORK/apigate-tcp.err" &
APIGATE_TCP_PID=$!
for _ in $(seq 1 300); do
    grep -q 'apigate: serving on ' "$WORK/apigate-tcp.out" 2>/dev/null && break
    kill -0 "$APIGATE_TCP_PID" 2>/dev/null || { cat "$WORK/apigate-tcp.out" "$WORK/apigate-tcp.err" >&2; die "the second apigate exited"; }
    sleep 0.1
done
APIGATE_TCP_PORT="$(grep 'apigate: serving on ' "$WORK/apigate-tcp.out" | sed -E 's|.*http://127\.0\.0\.1:([0-9]+)/.*|\1|')"
case "$APIGATE_TCP_PORT" in ''|*[!0-9]*) die "cannot read the second apigate's port" ;; esac
echo "  apigate-tcp on 127.0.0.1:$APIGATE_TCP_PORT (pid $APIGATE_TCP_PID): --s3-endpoint http://127.0.0.1:$STORE_PORT"

# The production setups, same store data in-process: access log + metrics, and TLS.
# start_extra TAG ARGS...: starts `apigate serve` with ARGS; sets EXTRA_PID and EXTRA_PORT.
start_extra() {
    local tag="$1" _
    shift
    APIGATE_LOG="$LOG_LEVEL" "$BIN" serve "$ROOT/openapi/mys3.yaml" \
        --listen 127.0.0.1:0 --data-dir "$DATA_DIR" --no-auth --region "$REGION" --no-watch "$@" \
        >"$WORK/apigate-$tag.out" 2>"$WORK/apigate-$tag.err" &
    EXTRA_PID=$!
    for _ in $(seq 1 300); do
        grep -q 'apigate: serving on ' "$WORK/apigate-$tag.out" 2>/dev/null && break
        kill -0 "$EXTRA_PID" 2>/dev/null || { cat "$WORK/apigate-$tag.out" "$WORK/apigate-$tag.err" >&2; die "apigate-$tag exited"; }
        sleep 0.1
    done
    EXTRA_PORT="$(grep 'apigate: serving on ' "$WORK/apigate-$tag.out" | sed -E 's|.*https?://127\.0\.0\.1:([0-9]+)/.*|\1|')"
    case "$EXTRA_PORT" in ''|*[!0-9]*) cat "$WORK/apigate-$tag.out" >&2; die "cannot read apigate-$tag's port" ;; esac
}
if [ "$SKIP_OPS" = 0 ]; then
    ACCESS_LOG="$WORK/access.log"
    ACCESS_FORMAT='{"requestId":"$context.requestId","ip":"$context.identity.sourceIp","requestTime":"$context.requestTime","httpMethod":"$context.httpMethod","resourcePath":"$context.resourcePath","status":"$context.status","protocol":"$context.protocol","responseLength":"$context.responseLength","responseLatency":"$context.responseLatency","integrationLatency":"$context.integrationLatency"}'
    start_extra obs --admin-listen 127.0.0.1:0 --access-log "$ACCESS_LOG" --access-log-format "$ACCESS_FORMAT"
    APIGATE_OBS_PID="$EXTRA_PID"; APIGATE_OBS_PORT="$EXTRA_PORT"
    ADMIN_URL="$(sed -nE 's|^apigate: admin on (http://[0-9.:]+) .*|\1|p' "$WORK/apigate-obs.out")"
    [ -n "$ADMIN_URL" ] || die "cannot read apigate-obs's admin address"
    echo "  apigate-obs on 127.0.0.1:$APIGATE_OBS_PORT (pid $APIGATE_OBS_PID): access log (JSON, 10 variables) to a file, metrics on $ADMIN_URL"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
        -subj /CN=localhost -keyout "$WORK/tls.key" -out "$WORK/tls.crt" >/dev/null 2>&1 \
        || die "openssl could not make a certificate"
    start_extra tls --tls-cert "$WORK/tls.crt" --tls-key "$WORK/tls.key"
    APIGATE_TLS_PID="$EXTRA_PID"; APIGATE_TLS_PORT="$EXTRA_PORT"
    echo "  apigate-tls on 127.0.0.1:$APIGATE_TLS_PORT (pid $APIGATE_TLS_PID): TLS (ECDSA P-256, self-signed), wrk over HTTPS/1.1"
fi

NGINX_PORT="$(free_port)"
NGINX_PREFIX="$WORK/nginx"
mkdir -p "$NGINX_PREFIX/conf" "$NGINX_PREFIX/logs" "$NGINX_PREFIX/tmp"
NGINX_USER_LINE=""
[ "$(id -u)" -ne 0 ] || NGINX_USER_LINE="user root;"
sed -e "s|@USER_LINE@|$NGINX_USER_LINE|" \
    -e "s|@PREFIX@|$NGINX_PREFIX|g" \
    -e "s|@LISTEN_PORT@|$NGINX_PORT|" \
    -e "s|@STORE_PORT@|$STORE_PORT|" \
    "$NGINX_TEMPLATE" >"$NGINX_PREFIX/conf/nginx.conf"
"$NGINX_BIN" -t -q -p "$NGINX_PREFIX/" -c conf/nginx.conf -e logs/error.log \
    || { cat "$NGINX_PREFIX/logs/error.log" >&2; die "nginx rejected its configuration"; }
"$NGINX_BIN" -p "$NGINX_PREFIX/" -c conf/nginx.conf -e logs/error.log -g 'daemon off;' \
    >"$NGINX_PREFIX/logs/stdout" 2>&1 &
NGINX_PID=$!
for _ in $(seq 1 100); do
    # a bare TCP connect: an HTTP probe would reach the store unsigned and log a 403 there
    python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' \
        "$NGINX_PORT" 2>/dev/null && break
    kill -0 "$NGINX_PID" 2>/dev/null || { cat "$NGINX_PREFIX/logs/error.log" >&2; NGINX_PID=""; die "nginx exited"; }
    sleep 0.1
done
echo "  nginx on 127.0.0.1:$NGINX_PORT (pid $NGINX_PID): worker_processes 2, upstream keepalive 64," \
     "proxy_buffering on, proxy_buffer_size 64k, proxy_buffers 16 64k, proxy_busy_buffers_size 128k, access_log off"

# ---------------------------------------------------------------- objects
log "uploading the objects through apigate"
A="http://127.0.0.1:$APIGATE_PORT/S3"
code="$(curl -sS -o "$WORK/resp" -w '%{http_code}' -X PUT "$A/bench")"
[ "$code" = 200 ] || { cat "$WORK/resp" >&2; die "PUT /S3/bench (create bucket) answered $code"; }
head -c 1024 /dev/urandom >"$WORK/obj-1k"
head -c 1048576 /dev/urandom >"$WORK/obj-1m"
for key in 1k 1m; do
    code="$(curl -sS -o "$WORK/resp" -w '%{http_code}' -X PUT -H 'Content-Type: application/octet-stream' \
        --data-binary "@$WORK/obj-$key" "$A/bench/$key")"
    [ "$code" = 200 ] || { cat "$WORK/resp" >&2; die "PUT /S3/bench/$key answered $code"; }
done
echo "  bench/1k (1024 B) and bench/1m (1048576 B) stored"

# ---------------------------------------------------------------- load runs
declare -A RPS P50 P99 NON2XX SOCKERR TOTAL CPU_US SYS_US WRK_US
SIZES=(1k 1m)
TARGETS=(direct nginx apigate apigate-tcp)
[ "$SKIP_OPS" = 1 ] || TARGETS+=(apigate-obs apigate-tls)
declare -A SIZE_LABEL=([1k]="1 KiB" [1m]="1 MiB")
declare -A SIZE_BYTES=([1k]=1024 [1m]=1048576)
declare -A CONNS=([1k]=$CONN_1K [1m]=$CONN_1M)

# target_args SIZE TARGET -> fills URL and HDRS (signed headers for direct/nginx)
target_args() {
    local size="$1" target="$2" store_host="127.0.0.1:$STORE_PORT" h
    HDRS=()
    case "$target" in
        direct) URL="http://$store_host/bench/$size" ;;
        nginx) URL="http://127.0.0.1:$NGINX_PORT/bench/$size"; HDRS+=("Host: $store_host") ;;
        apigate) URL="$A/bench/$size"; return 0 ;;
        apigate-tcp) URL="http://127.0.0.1:$APIGATE_TCP_PORT/S3/bench/$size"; return 0 ;;
        apigate-obs) URL="http://127.0.0.1:$APIGATE_OBS_PORT/S3/bench/$size"; return 0 ;;
        apigate-tls) URL="https://127.0.0.1:$APIGATE_TLS_PORT/S3/bench/$size"; return 0 ;;
    esac
    while IFS= read -r h; do HDRS+=("$h"); done \
        < <(python3 "$SIGNER" GET "$store_host" "/bench/$size" "$REGION")
    [ ${#HDRS[@]} -ge 3 ] || die "the signer printed no headers"
}

# check SIZE TARGET: one request with curl, must be 200 with the stored bytes
check() {
    local size="$1" target="$2" h code args=()
    for h in "${HDRS[@]}"; do args+=(-H "$h"); done
    case "$URL" in https://*) args+=(--insecure) ;; esac
    code="$(curl -sS -o "$WORK/check.body" -w '%{http_code}' "${args[@]}" "$URL")" || code="curl-failed"
    if [ "$code" != 200 ] || ! cmp -s "$WORK/check.body" "$WORK/obj-$size"; then
        echo "  check of $target ${SIZE_LABEL[$size]} failed: HTTP $code, $(wc -c <"$WORK/check.body") bytes (want 200, ${SIZE_BYTES[$size]} identical bytes): $URL" >&2
        head -c 600 "$WORK/check.body" >&2; echo >&2
        die "correctness check failed; not measuring $target"
    fi
}

to_ms() { # wrk latency (e.g. 812.00us, 1.23ms, 2.01s, 1.00m) -> ms
    awk -v v="$1" 'BEGIN {
        n = v + 0; u = v; sub(/^[0-9.]+/, "", u)
        if (u == "us") n /= 1000; else if (u == "s") n *= 1000; else if (u == "m") n *= 60000
        printf "%.2f", n }'
}

CLK_TCK="$(getconf CLK_TCK)"
server_cpu_ticks() { # CPU time (clock ticks) of apigate (gateways + store) and nginx: "USER+SYSTEM SYSTEM"
    local pid
    for pid in "$APIGATE_PID" "$APIGATE_TCP_PID" "$APIGATE_OBS_PID" "$APIGATE_TLS_PID" "$NGINX_PID" $(pgrep -P "$NGINX_PID" 2>/dev/null || true); do
        [ -r "/proc/$pid/stat" ] && awk '{ print $14 + $15, $15 }' "/proc/$pid/stat"
    done | awk '{ t += $1; s += $2 } END { print t + 0, s + 0 }'
}
# CPU time (clock ticks, user+system) of this shell's waited-for children: wrk's, across one run.
children_cpu_ticks() { awk '{ print $16 + $17 }' "/proc/$$/stat"; }
per_request_us() { # TICKS REQUESTS -> microseconds per request
    awk -v d="$1" -v hz="$CLK_TCK" -v n="$2" 'BEGIN { if (n > 0) printf "%.0f", d / hz * 1e6 / n; else print "n/a" }'
}

run_wrk() { # run_wrk SIZE TARGET ROUND
    local size="$1" target="$2" round="$3" h args=() out="$WORK/wrk-$1-$2-$3.txt" cpu0 cpu1 sys0 sys1 wrk0 wrk1
    for h in "${HDRS[@]}"; do args+=(-H "$h"); done
    wrk -t"$THREADS" -c"${CONNS[$size]}" -d"${WARMUP}s" "${args[@]}" "$URL" >/dev/null 2>&1 || true
    read -r cpu0 sys0 <<<"$(server_cpu_ticks)"
    wrk0="$(children_cpu_ticks)"
    wrk -t"$THREADS" -c"${CONNS[$size]}" -d"${DURATION}s" --latency "${args[@]}" "$URL" >"$out" 2>&1 \
        || { cat "$out" >&2; die "wrk failed against $target"; }
    wrk1="$(children_cpu_ticks)"
    read -r cpu1 sys1 <<<"$(server_cpu_ticks)"
    local k="$size/$target/$round"
    RPS[$k]="$(awk '/^Requests\/sec:/ { print $2 }' "$out")"
    P50[$k]="$(to_ms "$(awk '$1 == "50%" { print $2; exit }' "$out")")"
    P99[$k]="$(to_ms "$(awk '$1 == "99%" { print $2; exit }' "$out")")"
    TOTAL[$k]="$(awk '/ requests in / { print $1; exit }' "$out")"
    NON2XX[$k]="$(awk -F': *' '/Non-2xx or 3xx responses/ { print $2 }' "$out")"
    NON2XX[$k]="${NON2XX[$k]:-0}"
    SOCKERR[$k]="$(awk '/Socket errors:/ { sub(/^ *Socket errors: */, ""); print }' "$out")"
    SOCKERR[$k]="${SOCKERR[$k]:-none}"
    [ -n "${RPS[$k]}" ] || { cat "$out" >&2; die "cannot parse wrk's output for $target"; }
    CPU_US[$k]="$(per_request_us "$((cpu1 - cpu0))" "${TOTAL[$k]}")"
    SYS_US[$k]="$(per_request_us "$((sys1 - sys0))" "${TOTAL[$k]}")"
    WRK_US[$k]="$(per_request_us "$((wrk1 - wrk0))" "${TOTAL[$k]}")"
    printf '  round %s  %-6s %-11s %10s req/s  p50 %8s ms  p99 %8s ms  server CPU %6s us/req (kernel %s), wrk %s us/req  (%s requests, non-2xx %s, socket errors: %s)\n' \
        "$round" "${SIZE_LABEL[$size]}" "$target" "${RPS[$k]}" "${P50[$k]}" "${P99[$k]}" "${CPU_US[$k]}" "${SYS_US[$k]}" "${WRK_US[$k]}" "${TOTAL[$k]}" "${NON2XX[$k]}" "${SOCKERR[$k]}"
    if [ "$VERBOSE" = 1 ] || [ "${NON2XX[$k]}" != 0 ] || [ "${SOCKERR[$k]}" != none ]; then
        sed 's/^/      | /' "$out"
    fi
}

for size in "${SIZES[@]}"; do
    log "GET ${SIZE_LABEL[$size]}: wrk -t$THREADS -c${CONNS[$size]} -d${DURATION}s against direct, nginx, apigate, apigate-tcp; $ROUNDS round(s)"
    for round in $(seq 1 "$ROUNDS"); do
        for target in "${TARGETS[@]}"; do
            target_args "$size" "$target"
            check "$size" "$target"
            run_wrk "$size" "$target" "$round"
            # after the run, the same request must still succeed (nothing fell over)
            check "$size" "$target"
        done
    done
done

median() { tr ' ' '\n' | grep -v '^$' | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.2f", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# per_rounds MAP SIZE TARGET -> the round values of one figure, space-separated
per_rounds() {
    local -n map="$1"
    local r
    for r in $(seq 1 "$ROUNDS"); do printf '%s ' "${map[$2/$3/$r]}"; done
}
# ratio_median SIZE A B -> median over the rounds of RPS[A] / RPS[B]
ratio_median() {
    local r
    for r in $(seq 1 "$ROUNDS"); do printf '%s ' "$(ratio "${RPS[$1/$2/$r]}" "${RPS[$1/$3/$r]}")"; done | median
}
for size in "${SIZES[@]}"; do
    for target in "${TARGETS[@]}"; do
        k="$size/$target"
        RPS[$k]="$(per_rounds RPS "$size" "$target" | median)"
        P50[$k]="$(per_rounds P50 "$size" "$target" | median)"
        P99[$k]="$(per_rounds P99 "$size" "$target" | median)"
        CPU_US[$k]="$(per_rounds CPU_US "$size" "$target" | median)"
        SYS_US[$k]="$(per_rounds SYS_US "$size" "$target" | median)"
        WRK_US[$k]="$(per_rounds WRK_US "$size" "$target" | median)"
        NON2XX[$k]="$(per_rounds NON2XX "$size" "$target" | tr ' ' '\n' | awk '{ t += $1 } END { print t + 0 }')"
        SOCKERR[$k]="none"
        for r in $(seq 1 "$ROUNDS"); do
            [ "${SOCKERR[$k/$r]}" = none ] || SOCKERR[$k]="${SOCKERR[$k/$r]}"
        done
    done
done

LOAD_HWM_KIB="$(proc_kib "$APIGATE_PID" VmHWM)"
LOADAVG_AFTER="$(cut -d' ' -f1-3 /proc/loadavg)"
LOAD_ERR_LINES="$(grep -cE ' (WARN|ERROR) ' "$WORK/apigate-load.err" || true)"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }

STATUS=0
echo
log "results (one run, same backend; medians over $ROUNDS round(s): req/s from wrk, latency percentiles in ms)"
printf '%-6s  %-11s  %10s  %9s  %9s  %8s  %11s  %11s  %10s\n' size target req/s p50_ms p99_ms non-2xx cpu_us/req kernel_us wrk_us
for size in "${SIZES[@]}"; do
    for target in "${TARGETS[@]}"; do
        k="$size/$target"
        printf '%-6s  %-11s  %10s  %9s  %9s  %8s  %11s  %11s  %10s\n' "${SIZE_LABEL[$size]}" "$target" "${RPS[$k]}" "${P50[$k]}" "${P99[$k]}" "${NON2XX[$k]}" "${CPU_US[$k]}" "${SYS_US[$k]}" "${WRK_US[$k]}"
    done
done
echo "(cpu_us/req: user+system CPU of the apigate processes (gateways + embedded store) and of"
echo " nginx's processes during the measured run, per request; kernel_us: the system-time part of it;"
echo " wrk_us: wrk's own user+system CPU per request)"
echo
printf '%-6s  %15s  %14s  %19s  %18s\n' size apigate/direct apigate/nginx apigate-tcp/direct apigate-tcp/nginx
for size in "${SIZES[@]}"; do
    printf '%-6s  %15s  %14s  %19s  %18s\n' "${SIZE_LABEL[$size]}" \
        "$(ratio_median "$size" apigate direct)" "$(ratio_median "$size" apigate nginx)" \
        "$(ratio_median "$size" apigate-tcp direct)" "$(ratio_median "$size" apigate-tcp nginx)"
done
echo
# target NAME VALUE OP LIMIT: prints the verdict line; a missed target fails the run.
target() {
    local verdict
    if awk -v v="$2" -v l="$4" -v op="$3" 'BEGIN { exit !((op == ">=") ? (v >= l) : (v <= l)) }'; then
        verdict=PASS
    else
        verdict=FAIL; STATUS=1
    fi
    printf '  %-44s %8s %s %-6s %s\n' "$1" "$2" "$3" "$4" "$verdict"
}
echo "targets:"
target "1 KiB apigate/nginx (store in-process)" "$(ratio_median 1k apigate nginx)" ">=" 1.0
target "1 KiB apigate-tcp/nginx" "$(ratio_median 1k apigate-tcp nginx)" ">=" 1.2
target "1 KiB apigate-tcp/direct" "$(ratio_median 1k apigate-tcp direct)" ">=" 0.9
target "1 KiB apigate-tcp p99 (ms) vs nginx's" "${P99[1k/apigate-tcp]}" "<=" "${P99[1k/nginx]}"
target "1 MiB apigate-tcp/nginx" "$(ratio_median 1m apigate-tcp nginx)" ">=" 1.0
if [ "$SKIP_OPS" = 0 ]; then
    target "1 KiB apigate-obs/apigate (log + metrics)" "$(ratio_median 1k apigate-obs apigate)" ">=" 0.95
    for size in "${SIZES[@]}"; do
        echo "  ${SIZE_LABEL[$size]}: apigate-obs/apigate $(ratio_median "$size" apigate-obs apigate)," \
             "apigate-tls/apigate $(ratio_median "$size" apigate-tls apigate) (TLS: reported, no target)"
    done
    # Every request the obs gateway answered is a log line or a dropped one.
    METRICS="$(curl -sS "$ADMIN_URL/metrics")" || die "cannot read $ADMIN_URL/metrics"
    ANSWERED="$(awk '/^apigate_requests_total/ { t += $NF } END { printf "%d", t }' <<<"$METRICS")"
    DROPPED="$(awk '/^apigate_access_log_dropped_lines_total/ { printf "%d", $NF }' <<<"$METRICS")"
    sleep 1 # the writer flushes when it has caught up
    LOGGED="$(wc -l <"$ACCESS_LOG")"
    echo "  apigate-obs: $ANSWERED requests counted in /metrics, $LOGGED access-log lines, $DROPPED dropped"
    if [ "$((LOGGED + DROPPED))" -ne "$ANSWERED" ]; then
        echo "WARNING: access-log lines + dropped ($LOGGED + $DROPPED) != requests counted ($ANSWERED)"
        STATUS=1
    fi
fi
for size in "${SIZES[@]}"; do
    for target in "${TARGETS[@]}"; do
        k="$size/$target"
        if [ "${NON2XX[$k]}" != 0 ] || [ "${SOCKERR[$k]}" != none ]; then
            echo "WARNING: ${SIZE_LABEL[$size]} $target: ${NON2XX[$k]} non-2xx responses, socket errors: ${SOCKERR[$k]}"
            case "$target" in apigate*) STATUS=1 ;; esac
        fi
    done
done
echo "load average after the load runs: $LOADAVG_AFTER"
echo "apigate peak RSS over the load runs (VmHWM, includes the embedded store): $(mib "$LOAD_HWM_KIB") MiB"
echo "apigate WARN/ERROR log lines during the load runs: $LOAD_ERR_LINES"
if [ "$LOAD_ERR_LINES" != 0 ]; then
    grep -E ' (WARN|ERROR) ' "$WORK/apigate-load.err" | head -5 | sed 's/^/  | /'
fi

# ---------------------------------------------------------------- 1 GiB
if [ "$SKIP_1G" = 0 ]; then
    echo
    log "1 GiB PUT then GET through apigate (fresh apigate process, same data dir)"
    stop_pid "$NGINX_PID"; NGINX_PID=""
    stop_pid "$APIGATE_PID"; APIGATE_PID=""
    start_apigate big
    A="http://127.0.0.1:$APIGATE_PORT/S3"
    START_HWM_KIB="$(proc_kib "$APIGATE_PID" VmHWM)"
    echo "  apigate pid $APIGATE_PID on 127.0.0.1:$APIGATE_PORT; VmHWM after startup: $(mib "$START_HWM_KIB") MiB"
    BIG="$WORK/obj-1g"
    BIG_BYTES=1073741824
    head -c "$BIG_BYTES" /dev/urandom >"$BIG"
    echo "  source: $BIG_BYTES bytes from /dev/urandom"

    read -r code t_put <<<"$(curl -sS -o "$WORK/put.body" -w '%{http_code} %{time_total}' \
        -X PUT -T "$BIG" -H 'Content-Type: application/octet-stream' "$A/bench/1g")" || true
    PUT_HWM_KIB="$(proc_kib "$APIGATE_PID" VmHWM)"
    if [ "${code:-}" != 200 ]; then
        head -c 600 "$WORK/put.body" >&2; echo >&2
        die "PUT /S3/bench/1g answered ${code:-nothing}"
    fi
    echo "  PUT: HTTP $code in ${t_put}s = $(awk -v b="$BIG_BYTES" -v t="$t_put" 'BEGIN { printf "%.1f", b / 1048576 / t }') MiB/s; VmHWM now $(mib "$PUT_HWM_KIB") MiB"

    # GET straight into cmp: throughput and byte-for-byte integrity in one transfer.
    set +o pipefail
    get_meta="$( { curl -sS -o - -w '%{stderr}META %{http_code} %{time_total} %{size_download}\n' "$A/bench/1g" \
        | cmp - "$BIG" >"$WORK/cmp.out" 2>&1; echo "CMP $?" >&2; } 2>&1 )"
    set -o pipefail
    GET_HWM_KIB="$(proc_kib "$APIGATE_PID" VmHWM)"
    read -r _ code t_get got <<<"$(grep '^META ' <<<"$get_meta" | tail -1)"
    cmp_rc="$(awk '/^CMP / { print $2 }' <<<"$get_meta")"
    if [ "${code:-}" != 200 ] || [ "${got:-0}" != "$BIG_BYTES" ] || [ "$cmp_rc" != 0 ]; then
        echo "$get_meta" >&2; cat "$WORK/cmp.out" >&2
        die "GET /S3/bench/1g: HTTP ${code:-?}, ${got:-?} bytes, cmp exit ${cmp_rc:-?} (want 200, $BIG_BYTES identical bytes)"
    fi
    echo "  GET: HTTP $code, $got bytes identical to the source (cmp) in ${t_get}s = $(awk -v b="$got" -v t="$t_get" 'BEGIN { printf "%.1f", b / 1048576 / t }') MiB/s; VmHWM now $(mib "$GET_HWM_KIB") MiB"

    code="$(curl -sS -o /dev/null -w '%{http_code}' -X DELETE "$A/bench/1g")" || true
    echo "  deleted bench/1g (HTTP $code)"
    BIG_ERR_LINES="$(grep -cE ' (WARN|ERROR) ' "$WORK/apigate-big.err" || true)"
    echo "  apigate WARN/ERROR log lines during the 1 GiB transfers: $BIG_ERR_LINES"

    echo
    if [ "$GET_HWM_KIB" -le $((RSS_TARGET_MIB * 1024)) ]; then verdict=PASS; else verdict=FAIL; STATUS=1; fi
    printf 'apigate peak RSS (VmHWM) over 1 GiB PUT + GET: %s MiB (target <= %d MiB): %s\n' \
        "$(mib "$GET_HWM_KIB")" "$RSS_TARGET_MIB" "$verdict"

    # ------------------------------------------------------------ 1 GiB through http_proxy
    echo
    log "1 GiB upload and download through an http_proxy {proxy+} API (fresh apigate process)"
    stop_pid "$APIGATE_PID"; APIGATE_PID=""
    PY_PORT="$(free_port)"
    python3 "$ROOT/benches/proxy/stream_backend.py" "$PY_PORT" &
    PY_PID=$!
    for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$PY_PORT/big/1" && break; sleep 0.1; done
    APIGATE_LOG="$LOG_LEVEL" "$BIN" serve "$ROOT/benches/proxy/http-proxy.yaml" \
        --listen 127.0.0.1:0 --data-dir "$WORK/hp-data" --stage-variable "backend=127.0.0.1:$PY_PORT" \
        >"$WORK/apigate-hp.out" 2>"$WORK/apigate-hp.err" &
    APIGATE_PID=$!
    for _ in $(seq 1 300); do grep -q 'apigate: serving on ' "$WORK/apigate-hp.out" 2>/dev/null && break; sleep 0.1; done
    HP_PORT="$(grep 'apigate: serving on ' "$WORK/apigate-hp.out" | sed -E 's|.*http://127\.0\.0\.1:([0-9]+)/.*|\1|')"
    case "$HP_PORT" in ''|*[!0-9]*) cat "$WORK/apigate-hp.out" "$WORK/apigate-hp.err" >&2; die "the http_proxy apigate did not start" ;; esac
    echo "  apigate pid $APIGATE_PID on 127.0.0.1:$HP_PORT -> python backend on 127.0.0.1:$PY_PORT; VmHWM after startup: $(mib "$(proc_kib "$APIGATE_PID" VmHWM)") MiB"

    want_sha="$(sha256sum "$BIG" | cut -d' ' -f1)"
    read -r code t_put <<<"$(curl -sS -o "$WORK/hp-put.json" -w '%{http_code} %{time_total}' \
        -X PUT -T "$BIG" -H 'Content-Type: application/octet-stream' "http://127.0.0.1:$HP_PORT/sink")" || true
    got_sha="$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["sha256"])' "$WORK/hp-put.json" 2>/dev/null || echo none)"
    if [ "${code:-}" != 200 ] || [ "$got_sha" != "$want_sha" ]; then
        die "http_proxy PUT: HTTP ${code:-?}, backend saw sha256 $got_sha (want $want_sha)"
    fi
    echo "  PUT: HTTP 200, the backend received the same $BIG_BYTES bytes (sha256) in ${t_put}s = $(awk -v b="$BIG_BYTES" -v t="$t_put" 'BEGIN { printf "%.1f", b / 1048576 / t }') MiB/s"

    direct_sha="$(curl -sS "http://127.0.0.1:$PY_PORT/big/$BIG_BYTES" | sha256sum | cut -d' ' -f1)"
    read -r code t_get <<<"$(curl -sS -o "$WORK/hp-get" -w '%{http_code} %{time_total}' "http://127.0.0.1:$HP_PORT/big/$BIG_BYTES")" || true
    got_sha="$(sha256sum "$WORK/hp-get" | cut -d' ' -f1)"
    rm -f "$WORK/hp-get"
    if [ "${code:-}" != 200 ] || [ "$got_sha" != "$direct_sha" ]; then
        die "http_proxy GET: HTTP ${code:-?}, sha256 $got_sha (want the backend's $direct_sha)"
    fi
    echo "  GET: HTTP 200, $BIG_BYTES bytes identical to the backend's (sha256) in ${t_get}s = $(awk -v b="$BIG_BYTES" -v t="$t_get" 'BEGIN { printf "%.1f", b / 1048576 / t }') MiB/s"
    HP_HWM_KIB="$(proc_kib "$APIGATE_PID" VmHWM)"
    stop_pid "$PY_PID"; PY_PID=""
    rm -f "$BIG"
    if [ "$HP_HWM_KIB" -le $((RSS_TARGET_MIB * 1024)) ]; then verdict=PASS; else verdict=FAIL; STATUS=1; fi
    printf 'apigate peak RSS (VmHWM) over 1 GiB http_proxy upload + download: %s MiB (target <= %d MiB): %s\n' \
        "$(mib "$HP_HWM_KIB")" "$RSS_TARGET_MIB" "$verdict"
fi

echo
if [ "$STATUS" = 0 ]; then echo "proxy.sh: all targets met"; else echo "proxy.sh: TARGET MISSED (see above)"; fi
exit "$STATUS"
