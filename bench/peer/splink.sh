#!/usr/bin/env bash
# crosscheck against Splink 5 on the same synthetic files, side by side.
#   bench/peer/splink.sh [PEOPLE] [SUBJECTS]     (default 200000 20000)
# Installs Splink 5 into a virtual environment under target/peer-venv (from PyPI), generates
# the data with `crosscheck synth --seed 1`, runs both linkers as processes under
# /usr/bin/time, scores both results with `crosscheck evaluate`, and prints one table.
# Splink's configuration is documented at the top of bench/peer/splink_link.py.
set -euo pipefail
cd "$(dirname "$0")/../.."
people=${1:-200000}
subjects=${2:-20000}
venv=target/peer-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "splink==5.0.0"
fi
cargo build --release --locked -q
bin="${CARGO_TARGET_DIR:-./target}/release/crosscheck"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" synth --people "$people" --subjects "$subjects" --seed 1 --out "$work" 2>/dev/null

measure() { # NAME RESULT COMMAND...
  local name=$1 result=$2; shift 2
  /usr/bin/time -f "%e %M" -o "$work/$name.time" "$@" > "$work/$name.log" 2>&1 || {
    echo "$name failed:"; tail -20 "$work/$name.log"; exit 1; }
  "$bin" evaluate --json --truth "$work/truth.csv" --result "$result" > "$work/$name.json"
}
measure crosscheck "$work/cc.csv" "$bin" link --returns "$work/returns.csv" --subjects "$work/subjects.csv" --output "$work/cc.csv"
measure splink "$work/splink.csv" "$venv/bin/python" bench/peer/splink_link.py "$work/returns.csv" "$work/subjects.csv" "$work/splink.csv"

"$venv/bin/python" - "$work" "$people" "$subjects" <<'PY'
import json, sys
work, people, subjects = sys.argv[1:4]
print(f"synth --people {people} --subjects {subjects} --seed 1; {open('/proc/cpuinfo').read().count('processor')} cores")
print(f"{'':28}{'crosscheck':>14}{'Splink 5':>14}")
rows = []
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
line("review rate", lambda r, s, k: pct(r["overall"]["review_rate"]))
line("recall with review", lambda r, s, k: num(r["overall"]["recall_with_review"]))
line("wrong matches", lambda r, s, k: str(r["overall"]["wrong_matches"]))
line("  of non-filing relatives", lambda r, s, k: str(r["by_kind"].get("relative", {}).get("wrong_matches", 0)))
line("  of namesakes", lambda r, s, k: str(r["by_kind"].get("namesake", {}).get("wrong_matches", 0)))
line("wall time", lambda r, s, k: f"{s:.1f} s")
line("peak RSS", lambda r, s, k: f"{k / 1024:.0f} MiB")
PY
