#!/usr/bin/env bash
# Times `crosscheck synth` at 1,000,000 people (issue 2 target: <= 60 s) and reports peak RSS.
# Usage: bench/synth.sh [PEOPLE] [SUBJECTS]
set -euo pipefail
cd "$(dirname "$0")/.."
people=${1:-1000000}
subjects=${2:-50000}
cargo build --release --locked -q
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for fmt in csv parquet; do
  /usr/bin/time -f "synth $fmt: %e s wall, %M KiB peak RSS" \
    "${CARGO_TARGET_DIR:-./target}/release/crosscheck" synth --people "$people" --subjects "$subjects" --seed 1 --out "$out/$fmt" --format "$fmt"
  du -sh "$out/$fmt"
done
