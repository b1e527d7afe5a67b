#!/usr/bin/env bash
# Issue 3's speed, memory and accuracy figures, measured on this machine.
#   bench/linkage.sh            200k people / 20k subjects, then 1M people / 50k subjects
#   bench/linkage.sh quick      200k / 20k only
# For each size: synth, `crosscheck link` end to end (wall time and peak RSS from
# /usr/bin/time), the accuracy report, and `crosscheck bench` (index build, index memory,
# single-subject latency). Files go to a temporary directory that is removed afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --locked -q
bin="${CARGO_TARGET_DIR:-./target}/release/crosscheck"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sizes=("200000 20000")
[ "${1:-}" = quick ] || sizes+=("1000000 50000")
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%Y-%m-%dT%H:%MZ)"
for size in "${sizes[@]}"; do
  set -- $size
  dir="$work/p$1"
  echo
  echo "== $1 people, $2 subjects (synth seed 1)"
  "$bin" synth --people "$1" --subjects "$2" --seed 1 --out "$dir" 2>&1 | tail -1
  /usr/bin/time -f "link end to end: %e s wall, %M KiB peak RSS" \
    "$bin" link --returns "$dir/returns.csv" --subjects "$dir/subjects.csv" --output "$dir/result.csv" 2>&1 | grep -v '^\s*$'
  "$bin" evaluate --truth "$dir/truth.csv" --result "$dir/result.csv" --returns "$dir/returns.csv" --subjects "$dir/subjects.csv" | head -30
  "$bin" bench --returns "$dir/returns.csv" --subjects "$dir/subjects.csv" --queries 2000
done
