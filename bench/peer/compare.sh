#!/usr/bin/env bash
# crosscheck against Splink 5 on one set of files in crosscheck's data contract, side by side.
#   bench/peer/compare.sh DIR [LABEL]
# DIR holds returns.csv, subjects.csv and truth.csv. Installs Splink 5 into a virtual
# environment under target/peer-venv (from PyPI) when it is missing, runs both linkers as
# processes under /usr/bin/time, scores both results with `crosscheck evaluate`, and prints
# one table. Splink's configuration is documented at the top of bench/peer/splink_link.py.
# Used by bench/peer/splink.sh (synthetic data) and bench/febrl/febrl.sh (FEBRL).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=$1
label=${2:-$data}
venv=target/peer-venv
if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import splink" 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "splink==5.0.0"
fi
cargo build --release --locked -q
bin="${CARGO_TARGET_DIR:-./target}/release/crosscheck"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

measure() { # NAME RESULT COMMAND...
  local name=$1 result=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" > "$work/$name.log" 2>&1 || {
    echo "$name failed:"; tail -20 "$work/$name.log"; exit 1; }
  "$bin" evaluate --json --truth "$data/truth.csv" --result "$result" > "$work/$name.json" 2>/dev/null
}
measure crosscheck "$work/cc.csv" "$bin" link --returns "$data/returns.csv" --subjects "$data/subjects.csv" --output "$work/cc.csv"
measure splink "$work/splink.csv" "$venv/bin/python" bench/peer/splink_link.py "$data/returns.csv" "$data/subjects.csv" "$work/splink.csv"

"$venv/bin/python" - "$work" "$label" <<'PY'
import json, sys
work, label = sys.argv[1:3]
print(f"{label}; {open('/proc/cpuinfo').read().count('processor')} cores")
print(f"{'':28}{'crosscheck':>14}{'Splink 5':>14}")
data = {}
for name in ("crosscheck", "splink"):
    report = json.load(open(f"{work}/{name}.json"))
    secs, kib = open(f"{work}/{name}.time").read().split()
    data[name] = (report, float(secs), int(kib))
def line(label, f):
    print(f"{label:28}" + "".join(f"{f(*data[n]):>14}" for n in ("crosscheck", "splink")))
pct = lambda v: "n/a" if v is None else f"{100 * v:.2f}%"
num = lambda v: "n/a" if v is None else f"{v:.4f}"
line("precision (automatic)", lambda r, s, k: num(r["overall"]["precision"]))
line("recall (automatic)", lambda r, s, k: num(r["overall"]["recall"]))
line("F1 (automatic)", lambda r, s, k: num(r["overall"].get("f1")))
line("review rate", lambda r, s, k: pct(r["overall"]["review_rate"]))
line("recall with review", lambda r, s, k: num(r["overall"]["recall_with_review"]))
line("wrong matches", lambda r, s, k: str(r["overall"]["wrong_matches"]))
line("  of non-filing relatives", lambda r, s, k: str(r["by_kind"].get("relative", {}).get("wrong_matches", 0)))
line("  of namesakes", lambda r, s, k: str(r["by_kind"].get("namesake", {}).get("wrong_matches", 0)))
line("wall time", lambda r, s, k: f"{s:.1f} s")
line("peak RSS", lambda r, s, k: f"{k / 1024:.0f} MiB")
PY
