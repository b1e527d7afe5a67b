"""Link a crosscheck subject file to a returns extract with Splink 5 (DuckDB backend).

The configuration is what a careful Splink user would write for this problem, and is the
same information crosscheck uses:

* Cleaning (in DuckDB SQL): upper case, accents stripped, punctuation removed; family name
  joined without spaces and its first token kept as `surname1` (the paternal surname of a
  compound name); dates of birth parsed from YYYY-MM-DD or MM/DD/YYYY; ZIP cut to five
  digits; house number split from the street, directionals and the commonest suffixes
  abbreviated; returns reduced to distinct (TIN, name, date of birth, address) rows.
* Comparisons: NameComparison on given name and on family name (with term-frequency
  adjustments), DateOfBirthComparison, a house-number + street comparison (exact, then
  Jaro-Winkler 0.9), ZIP exact with term frequencies, TIN exact.
* Blocking for predictions: (surname1, birth year), (given name, date of birth),
  (surname1, ZIP), (house number, street, ZIP), (TIN).
* Training: λ from deterministic rules (given, family, date of birth) with recall 0.7; u by
  random sampling (5 million pairs); m by EM on blocks of date of birth, and of
  (surname1, given name).
* Decision per subject, on the best TIN (pairs aggregated per TIN by maximum probability),
  the same thresholds crosscheck uses: `match` when its probability is at least 0.999 and no
  other TIN reaches 0.5; `review` when it is at least 0.5; `no_match` otherwise.

Usage: splink_link.py RETURNS.csv SUBJECTS.csv RESULT.csv
"""

import sys
import time

import duckdb
import splink.comparison_library as cl
from splink import DuckDBAPI, Linker, SettingsCreator, block_on

returns_csv, subjects_csv, result_csv = sys.argv[1:4]
started = time.time()
con = duckdb.connect()

CLEAN_NAME = "upper(regexp_replace(strip_accents(coalesce({c}, '')), '[^A-Za-z0-9 ]', ' ', 'g'))"
SUFFIXES = [("STREET", "ST"), ("AVENUE", "AVE"), ("ROAD", "RD"), ("DRIVE", "DR"), ("LANE", "LN"),
            ("BOULEVARD", "BLVD"), ("COURT", "CT"), ("PLACE", "PL"), ("CIRCLE", "CIR"),
            ("TERRACE", "TER"), ("PARKWAY", "PKWY"), ("HIGHWAY", "HWY"), ("NORTH", "N"),
            ("SOUTH", "S"), ("EAST", "E"), ("WEST", "W")]


def name(c):
    return f"nullif(trim(regexp_replace({CLEAN_NAME.format(c=c)}, ' +', ' ', 'g')), '')"


def street(c):
    s = f"upper(regexp_replace(coalesce({c}, ''), '[^A-Za-z0-9 ]', ' ', 'g'))"
    for long, short in SUFFIXES:
        s = f"regexp_replace({s}, '\\b{long}\\b', '{short}', 'g')"
    return s


def prepare(table, path, id_col, tin_expr):
    con.sql(f"""
        create table {table} as
        with raw as (select * from read_csv('{path}', all_varchar = true, header = true)),
        c as (
          select {id_col} as id, {tin_expr} as tin,
                 {name('given_name')} as given,
                 replace({name('family_name')}, ' ', '') as family,
                 split_part({name('family_name')}, ' ', 1) as surname1,
                 coalesce(try_strptime(dob, '%Y-%m-%d'), try_strptime(dob, '%m/%d/%Y'))::date as dob_d,
                 trim({street('street')}) as st,
                 nullif(left(regexp_replace(coalesce(zip, ''), '[^0-9]', '', 'g'), 5), '') as zip
          from raw)
        select distinct id, tin, given, family, surname1,
               strftime(dob_d, '%Y-%m-%d') as dob, year(dob_d)::varchar as dob_year,
               nullif(regexp_extract(st, '^([0-9]+[A-Z]?) ', 1), '') as house_number,
               nullif(trim(regexp_replace(st, '^[0-9]+[A-Z]? ', '')), '') as street, zip
        from c""")


prepare("returns_clean", returns_csv, "replace(tin, '-', '')", "replace(tin, '-', '')")
prepare("subjects_clean", subjects_csv, "subject_id",
        "nullif(regexp_replace(coalesce(tin, ''), '[^0-9]', '', 'g'), '')")
# Splink needs one unique id per record: returns rows become (TIN, row number).
con.sql("create table r as select row_number() over () as unique_id, * exclude (id) from returns_clean")
con.sql("create table s as select row_number() over () + 1000000000 as unique_id, id as subject_id, * exclude (id) from subjects_clean")

db_api = DuckDBAPI(connection=con)
settings = SettingsCreator(
    link_type="link_only",
    comparisons=[
        cl.NameComparison("given").configure(term_frequency_adjustments=True),
        cl.NameComparison("family").configure(term_frequency_adjustments=True),
        cl.DateOfBirthComparison("dob", input_is_string=True),
        cl.JaroWinklerAtThresholds("street", [0.9]),
        cl.ExactMatch("house_number"),
        cl.ExactMatch("zip").configure(term_frequency_adjustments=True),
        cl.ExactMatch("tin"),
    ],
    blocking_rules_to_generate_predictions=[
        block_on("surname1", "dob_year"),
        block_on("given", "dob"),
        block_on("surname1", "zip"),
        block_on("house_number", "street", "zip"),
        block_on("tin"),
    ],
    retain_intermediate_calculation_columns=False,
)
linker = Linker([db_api.register(con.table("r")), db_api.register(con.table("s"))], settings, log_level=None)
linker.training.estimate_probability_two_random_records_match(
    [block_on("given", "family", "dob")], recall=0.7)
linker.training.estimate_u_using_random_sampling(max_pairs=5e6)
linker.training.estimate_parameters_using_expectation_maximisation(block_on("dob"))
linker.training.estimate_parameters_using_expectation_maximisation(block_on("surname1", "given"))
pred = linker.inference.predict(threshold_match_probability=0.01)

con.sql(f"""
    create table best as
    with p as (
      select coalesce(s_l.subject_id, s_r.subject_id) as subject_id,
             coalesce(r_l.tin, r_r.tin) as tin, match_probability, match_weight
      from {pred.physical_name} x
      left join s s_l on s_l.unique_id = x.unique_id_l
      left join s s_r on s_r.unique_id = x.unique_id_r
      left join r r_l on r_l.unique_id = x.unique_id_l
      left join r r_r on r_r.unique_id = x.unique_id_r),
    per_tin as (select subject_id, tin, max(match_probability) as p, max(match_weight) as w
                from p group by all),
    ranked as (select *, row_number() over (partition by subject_id order by p desc, tin) as rk
               from per_tin)
    select a.subject_id, a.tin, a.p, a.w, b.p as p2
    from ranked a left join ranked b on a.subject_id = b.subject_id and b.rk = 2
    where a.rk = 1""")
con.sql(f"""
    copy (
      select s.subject_id,
             case when b.p >= 0.999 and coalesce(b.p2, 0) < 0.5 then 'match'
                  when b.p >= 0.5 then 'review' else 'no_match' end as outcome,
             case when b.p >= 0.5 then b.tin end as tin,
             b.p as match_probability, b.w as match_weight
      from (select distinct subject_id, unique_id from s) s
      left join best b using (subject_id)
      order by s.unique_id
    ) to '{result_csv}' (header, delimiter ',')""")
print(f"splink: {time.time() - started:.1f}s", file=sys.stderr)
