#!/usr/bin/env bash
# crosscheck against Splink 5 on the same synthetic files, side by side.
#   bench/peer/splink.sh [PEOPLE] [SUBJECTS]     (default 200000 20000)
# Generates the data with `crosscheck synth --seed 1` and runs bench/peer/compare.sh on it.
set -euo pipefail
cd "$(dirname "$0")/../.."
people=${1:-200000}
subjects=${2:-20000}
cargo build --release --locked -q
bin="${CARGO_TARGET_DIR:-./target}/release/crosscheck"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" synth --people "$people" --subjects "$subjects" --seed 1 --out "$work" 2>/dev/null
bench/peer/compare.sh "$work" "synth --people $people --subjects $subjects --seed 1"
