#!/usr/bin/env bash
# Runs a fuzz target on the stable toolchain.
#   fuzz/run.sh [SECONDS] [TARGET]   (defaults: 600, load; targets: load, template, http)
# `load` is seeded with the project's definitions, the broken-definition cases and, when
# present, AWS's samples; `template` with the VTL oracle's templates; `http` (raw bytes into
# the gateway's server) with the requests in fuzz/seeds/http. Prints libFuzzer's final
# stats (look for "Done N runs").
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-600}"
target="${2:-load}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz@0.13.2 --locked
mkdir -p "corpus/$target"
case "$target" in
  load)
    cp ../openapi/* ../tests/validate/*.yaml ../tests/validate/*.json corpus/load/ 2>/dev/null || true
    cp ../../shared/aws-samples/*.json corpus/load/ 2>/dev/null || true
    ;;
  template)
    # One file per oracle template (body line, then the template).
    python3 - <<'PY'
import json, hashlib, pathlib
out = pathlib.Path("corpus/template")
for line in open("../tests/vtl/cases.jsonl", encoding="utf-8"):
    case = json.loads(line)
    text = (case.get("input", {}).get("body", "") or "{}").replace("\n", " ") + "\n" + case["template"]
    name = hashlib.sha1(text.encode()).hexdigest()
    (out / name).write_text(text, encoding="utf-8")
PY
    ;;
  http)
    cp seeds/http/* corpus/http/
    ;;
  *) echo "unknown target $target (load, template, http)" >&2; exit 2 ;;
esac
cargo fuzz run --sanitizer none "$target" "corpus/$target" -- \
  -max_total_time="$secs" -timeout=10 -max_len=65536 -print_final_stats=1
