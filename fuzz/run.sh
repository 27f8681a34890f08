#!/usr/bin/env bash
# Runs the loader fuzz target on the stable toolchain.
#   fuzz/run.sh [SECONDS]   (default 600)
# Seeds the corpus with the project's definitions, the broken-definition cases and, when
# present, AWS's samples. Prints libFuzzer's final stats (look for "Done N runs").
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-600}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz@0.13.2 --locked
mkdir -p corpus/load
cp ../openapi/* ../tests/validate/*.yaml ../tests/validate/*.json corpus/load/ 2>/dev/null || true
cp ../../shared/aws-samples/*.json corpus/load/ 2>/dev/null || true
cargo fuzz run --sanitizer none load corpus/load -- \
  -max_total_time="$secs" -timeout=10 -max_len=65536 -print_final_stats=1
