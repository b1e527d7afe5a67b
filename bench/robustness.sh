#!/usr/bin/env bash
# crosscheck on populations unlike the generator's defaults: does precision hold?
#   bench/robustness.sh [PEOPLE] [SUBJECTS] [SEED]      (default 100000 10000 3)
# Each variant is a rates file under bench/robustness/ (any subset of the rates that
# `crosscheck synth --print-rates` shows; docs/synth.md) or an origin mix. For each: synth,
# `crosscheck link` trained on the fly (no labels, default thresholds: nothing is tuned per
# variant), `crosscheck evaluate`. One row per variant: precision of automatic matches,
# wrong matches among non-filing relatives and namesakes, recall, review rate, recall
# including review, and the spread of recall across name origins (those with at least 100
# findable subjects).
set -euo pipefail
cd "$(dirname "$0")/.."
people=${1:-100000}
subjects=${2:-10000}
seed=${3:-3}
cargo build --release --locked -q
bin="${CARGO_TARGET_DIR:-./target}/release/crosscheck"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; $(date -u +%Y-%m-%dT%H:%MZ); $people people, $subjects subjects, seed $seed"
variants=(default)
for f in bench/robustness/*.json; do variants+=("$f"); done
variants+=("origins:vietnamese=0.7,korean=0.3" "origins:hispanic=1" "origins:arabic=0.5,west_african=0.5")
printf '%-22s %9s %7s %9s %9s %7s %7s %8s %11s %6s\n' variant precision wrong relatives namesakes recall review w/review origins time
for v in "${variants[@]}"; do
  args=()
  case "$v" in
    default) name=default ;;
    origins:*) name=${v#origins:}; args=(--origins "$name") ;;
    *) name=$(basename "$v" .json); args=(--rates "$v") ;;
  esac
  dir="$work/$name"
  "$bin" synth --people "$people" --subjects "$subjects" --seed "$seed" --out "$dir" "${args[@]}" >/dev/null 2>&1
  start=$EPOCHREALTIME
  "$bin" link --returns "$dir/returns.csv" --subjects "$dir/subjects.csv" --output "$dir/result.csv" 2>/dev/null
  took=$(python3 -c "print($EPOCHREALTIME - $start)")
  "$bin" evaluate --truth "$dir/truth.csv" --result "$dir/result.csv" --json >"$dir/eval.json"
  python3 - "$dir/eval.json" "$name" "$took" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
o, k = d["overall"], d["by_kind"]
wrong = lambda kind: k.get(kind, {}).get("wrong_matches", 0)
recalls = [v["recall"] for v in d["by_origin"].values() if v.get("findable", 0) >= 100 and v["recall"] is not None]
spread = f"{100 * min(recalls):.1f}-{100 * max(recalls):.1f}" if recalls else "n/a"
fmt = lambda x, p=4: "n/a" if x is None else f"{x:.{p}f}"
print(f'{sys.argv[2][:22]:<22} {fmt(o["precision"]):>9} {o["wrong_matches"]:>7} {wrong("relative"):>9} {wrong("namesake"):>9} '
      f'{fmt(o["recall"], 3):>7} {100 * o["review_rate"]:>6.2f}% {fmt(o["recall_with_review"], 3):>8} {spread:>11} {float(sys.argv[3]):>5.1f}s')
PY
done
