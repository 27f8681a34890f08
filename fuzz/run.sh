#!/usr/bin/env bash
# Runs a fuzz target on the stable toolchain.
#   fuzz/run.sh [SECONDS] [TARGET]   (defaults: 600, load; targets: load, template, http, yaml_subset, sigv4, config)
# `load` and `yaml_subset` are seeded with the project's definitions, the broken-definition
# cases and, when present, AWS's samples; `template` with the VTL oracle's templates and a few
# hostile ones; `http` (raw bytes into the gateway's server) with the requests in
# fuzz/seeds/http; `sigv4` (SigV4 claim parsing and canonicalisation of arbitrary request
# heads, and the shared-credentials parser) with the requests in fuzz/seeds/sigv4; `config`
# (the deployment config file, checked against a small API and resolved into limits) with
# the config cases of tests/validate/config. Prints
# libFuzzer's final stats (look for "Done N runs").
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-600}"
target="${2:-load}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz@0.13.2 --locked
mkdir -p "corpus/$target"
case "$target" in
  load|yaml_subset)
    cp ../openapi/* ../tests/validate/*.yaml ../tests/validate/*.json "corpus/$target/" 2>/dev/null || true
    cp ../../shared/aws-samples/*.json "corpus/$target/" 2>/dev/null || true
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
# Hostile templates outside the oracle corpus (Java runs out of memory or stack on them):
# sharing that doubles 40 times, deep nesting, cycles through two collections.
for text in [
    "{}\n#set($l = [1])#foreach($i in [1..40])#set($l = [$l, $l])#end$l",
    "{}\n#set($l = [1])#foreach($i in [1..40])#set($l = [$l, $l])#end#set($s = \"$l\")",
    "{}\n#set($l = [])#foreach($i in [1..1000])#set($l = [$l])#end$l",
    "{}\n#set($a = [1])#set($b = [$a])#set($d = $a.add($b))$a.toString()",
    "{}\n#set($m = {})#set($d = $m.put('m', $m))#set($context.responseOverride.header.x = $m)$m",
]:
    (out / hashlib.sha1(text.encode()).hexdigest()).write_text(text, encoding="utf-8")
PY
    ;;
  http|sigv4)
    cp "seeds/$target"/* "corpus/$target/"
    ;;
  config)
    cp ../tests/validate/config/*.yaml "corpus/$target/"
    ;;
  *) echo "unknown target $target (load, template, http, yaml_subset, sigv4, config)" >&2; exit 2 ;;
esac
cargo fuzz run --sanitizer none "$target" "corpus/$target" -- \
  -max_total_time="$secs" -timeout=10 -max_len=65536 -print_final_stats=1
