#!/usr/bin/env bash
# Renders tests/vtl/cases.jsonl with Apache Velocity 1.7 and API Gateway's objects as emulated by
# this oracle, and writes tests/vtl/expected.jsonl (one line per case, sorted by id).
# Needs a JDK (javac/java, 11 or later) and Debian's velocity + libjsonpath-java packages.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
vtl="$(dirname "$here")"
cases="${1:-$vtl/cases.jsonl}"
expected="${2:-$vtl/expected.jsonl}"

# Required jars, then optional ones (json-smart's helpers; slf4j-nop silences SLF4J's warning).
jars=(velocity commons-collections3 commons-lang json-path json-smart slf4j-api)
optional=(accessors-smart asm slf4j-nop)
missing=0
for j in "${jars[@]}"; do
  [ -f "/usr/share/java/$j.jar" ] || missing=1
done
if [ "$missing" = 1 ]; then
  sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq velocity libjsonpath-java >/dev/null
fi
cp=""
for j in "${jars[@]}"; do
  [ -f "/usr/share/java/$j.jar" ] || { echo "run.sh: /usr/share/java/$j.jar is missing" >&2; exit 1; }
  cp="$cp${cp:+:}/usr/share/java/$j.jar"
done
for j in "${optional[@]}"; do
  if [ -f "/usr/share/java/$j.jar" ]; then cp="$cp:/usr/share/java/$j.jar"; fi
done

build="$(mktemp -d)"
trap 'rm -rf "$build"' EXIT
javac -nowarn -encoding UTF-8 -cp "$cp" -d "$build" "$here"/*.java
java -Dfile.encoding=UTF-8 -cp "$build:$cp" Oracle "$cases" "$expected"
