//! Reading and writing contract files, good and bad rows, both formats.

use std::path::Path;

use crosscheck_contract::table::{self, Record};
use crosscheck_contract::{FileError, LinkResult, Outcome, Subject, TaxReturn, Truth};

const RETURNS: &str = "\
return_id,tin,tax_year,given_name,middle_name,family_name,dob,street,unit,city,state,zip,employer_name,extra
R1,123-45-6789,2023,José,M,García López,1980-02-29,12 N Main St,Apt 4,Springfield,IL,62701,ACME,x
R2,123456789,2024,Jose,,Garcia-Lopez,,12 North Main Street,#4,Springfield,IL,62701-1234,,x
R3,000-12-3456,2024,Ann,,Lee,,1 Oak Ave,,Austin,TX,78701,,x
R4,912-70-1234,24,Ann,,Lee,,1 Oak Ave,,Austin,TX,78701,,x
R5,912-70-1234,2024,Ann,,Lee,1980-02-30,1 Oak Ave,,Austin,TX,7870,,x
R6,912-70-1234,2024,,,Lee,,1 Oak Ave,,Austin,TX,78701,,x
R1,912-70-1234,2024,Ann,,Lee,1979-13-01,1 Oak Ave,,Austin,TX,78701,,x
R8,912-70-1234,2024,Ann,,Lee,1979-13-01,1 Oak Ave,,Austin,TX,78701,,x
";

fn read_str<T: Record>(text: &str) -> table::Loaded<T> {
    read_bytes(text.as_bytes())
}

/// A file's bytes, which need not be UTF-8.
fn read_bytes<T: Record>(bytes: &[u8]) -> table::Loaded<T> {
    table::read_csv_from::<T, _>(Path::new("test.csv"), bytes).expect("readable")
}

#[test]
fn bad_return_rows_are_reported_with_row_and_reason_and_the_rest_kept() {
    let loaded = read_str::<TaxReturn>(RETURNS);
    let ids: Vec<&str> = loaded
        .records
        .iter()
        .map(|r| r.return_id.as_str())
        .collect();
    assert_eq!(ids, ["R1", "R2", "R8"]);
    assert_eq!(loaded.rows, [1, 2, 8]);
    let rejected: Vec<String> = loaded.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(
        rejected,
        [
            "row 3: tin: SSN area 000 and 666 are never issued",
            "row 4: tax_year: must be a four-digit year (1900-2100)",
            "row 5: zip: must have 5 or 9 digits",
            "row 6: given_name: is required but empty",
            "row 7: return_id: duplicate of row 1",
        ]
    );
    // An impossible date of birth keeps the row and is reported as a warning.
    let warnings: Vec<String> = loaded.warnings.iter().map(ToString::to_string).collect();
    assert!(warnings.contains(&"row 8: dob: no such calendar day; treated as missing".to_owned()));
    assert_eq!(loaded.records[2].dob, None);
    assert_eq!(loaded.records[0].dob.unwrap().to_string(), "1980-02-29");
    assert_eq!(loaded.records[0].family_name, "García López");
}

#[test]
fn a_missing_required_column_is_a_file_error_naming_it() {
    let err = table::read_csv_from::<TaxReturn, _>(
        Path::new("x.csv"),
        "return_id,tin,tax_year,given_name,family_name,street,city,state\n".as_bytes(),
    )
    .unwrap_err();
    assert!(
        matches!(err, FileError::MissingColumn { column: "zip", .. }),
        "{err}"
    );
    assert!(err.to_string().contains("`zip`"));
}

#[test]
fn headers_match_case_insensitively_and_extra_columns_are_ignored() {
    let loaded = read_str::<Subject>("Subject_ID,NOTES,Family_Name\nS1,hello,Nguyen\n");
    assert_eq!(loaded.records[0].family_name.as_deref(), Some("Nguyen"));
}

#[test]
fn errors_never_quote_cell_values() {
    let loaded = read_str::<TaxReturn>(RETURNS);
    for issue in loaded.rejected.iter().chain(&loaded.warnings) {
        let text = issue.to_string();
        for secret in ["Lee", "Oak", "912", "1979", "7870"] {
            assert!(!text.contains(secret), "{text}");
        }
    }
}

fn sample_subjects() -> Vec<Subject> {
    vec![
        Subject {
            subject_id: "S1".into(),
            given_name: Some("Nguyễn, \"Văn\"".into()),
            family_name: Some("TRAN".into()),
            dob: Some("07/04/1984".into()),
            zip: Some("02139".into()),
            ..Subject::default()
        },
        Subject {
            subject_id: "S2".into(),
            ..Subject::default()
        },
    ]
}

#[test]
fn csv_and_parquet_round_trip_every_row_type() {
    let dir = tempfile::tempdir().unwrap();
    let returns = read_str::<TaxReturn>(RETURNS).records;
    let subjects = sample_subjects();
    let truth = vec![Truth {
        subject_id: "S1".into(),
        kind: Some("filer".into()),
        tins: vec!["123456789".into(), "912701234".into()],
        origin: Some("vietnamese".into()),
        distortions: vec!["typo_family".into(), "dob_us_format".into()],
    }];
    let results = vec![
        LinkResult {
            subject_id: "S1".into(),
            outcome: Outcome::Match,
            tin: Some("123456789".into()),
            match_probability: Some(0.999_5),
            match_weight: Some(11.25),
            address_tax_year: Some(2024),
            street: Some("12 N MAIN ST".into()),
            unit: None,
            city: Some("SPRINGFIELD".into()),
            state: Some("IL".into()),
            zip: Some("62701".into()),
            runner_up_tin: None,
            runner_up_weight: None,
            evidence: Some("given=exact:+4.000000".into()),
            reason: None,
        },
        LinkResult {
            reason: Some("close_competitor".into()),
            ..LinkResult::new("S3", Outcome::Review, Some("912701234".into()))
        },
        LinkResult::new("S2", Outcome::NoMatch, None),
    ];
    for ext in ["csv", "parquet"] {
        let p = dir.path().join(format!("returns.{ext}"));
        table::write_all(&p, &returns).unwrap();
        assert_eq!(
            table::read::<TaxReturn>(&p).unwrap().records,
            returns,
            "{ext}"
        );
        let p = dir.path().join(format!("subjects.{ext}"));
        table::write_all(&p, &subjects).unwrap();
        assert_eq!(
            table::read::<Subject>(&p).unwrap().records,
            subjects,
            "{ext}"
        );
        let p = dir.path().join(format!("truth.{ext}"));
        table::write_all(&p, &truth).unwrap();
        assert_eq!(table::read::<Truth>(&p).unwrap().records, truth, "{ext}");
        let p = dir.path().join(format!("result.{ext}"));
        table::write_all(&p, &results).unwrap();
        assert_eq!(
            table::read::<LinkResult>(&p).unwrap().records,
            results,
            "{ext}"
        );
    }
}

#[test]
fn unknown_extensions_and_missing_files_are_clear_errors() {
    let err = table::read::<Subject>(Path::new("subjects.xlsx")).unwrap_err();
    assert!(
        err.to_string().contains("use a .csv or .parquet file"),
        "{err}"
    );
    let err = table::read::<Subject>(Path::new("/nonexistent/subjects.csv")).unwrap_err();
    assert!(
        err.to_string().contains("/nonexistent/subjects.csv"),
        "{err}"
    );
}

#[test]
fn a_link_result_needs_a_tin_unless_no_match() {
    let loaded =
        read_str::<LinkResult>("subject_id,outcome,tin\nS1,match,\nS2,no_match,\nS3,maybe,\n");
    let rejected: Vec<String> = loaded.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(
        rejected,
        [
            "row 1: tin: is required when the outcome is match or review",
            "row 3: outcome: must be match, review or no_match"
        ]
    );
}

#[test]
fn invalid_utf8_rejects_only_that_row() {
    let mut bytes = b"subject_id,family_name\nS1,Lee\nS2,".to_vec();
    bytes.extend([0xff, 0xfe]);
    bytes.extend(b"\nS3,Kim\n");
    let loaded = read_bytes::<Subject>(&bytes);
    assert_eq!(loaded.records.len(), 2);
    assert_eq!(loaded.rejected[0].row, 2);
}

#[test]
fn a_character_split_between_two_cells_is_invalid_utf8() {
    // `é` is C3 A9: its two bytes in two cells make a record whose bytes run together are
    // valid UTF-8 while neither cell is. Accented names in other rows are kept.
    let mut bytes = "subject_id,given_name,family_name\nS1,José,Peña\nS2,A"
        .as_bytes()
        .to_vec();
    bytes.extend([0xc3, b',', 0xa9]);
    bytes.extend("B\nS3,Zoë,Kim\n".as_bytes());
    let loaded = read_bytes::<Subject>(&bytes);
    let names: Vec<_> = loaded
        .records
        .iter()
        .map(|s| s.given_name.as_deref())
        .collect();
    assert_eq!(names, [Some("José"), Some("Zoë")]);
    assert_eq!(loaded.rejected.len(), 1);
    assert_eq!(loaded.rejected[0].row, 2);
    assert!(loaded.rejected[0].issue.reason.contains("UTF-8"));
}

#[test]
fn bytes_that_are_not_utf8_in_a_column_the_row_type_ignores_do_not_reject_the_row() {
    let mut bytes = "subject_id,notes,family_name\nS1,".as_bytes().to_vec();
    bytes.extend([0xe9, b't', 0xe9]); // Latin-1 `été`
    bytes.extend(",Peña\nS2,".as_bytes());
    bytes.extend([0xc3]); // half of `é`, then the family name's first byte
    bytes.extend(",Kim\n".as_bytes());
    let loaded = read_bytes::<Subject>(&bytes);
    assert!(loaded.rejected.is_empty(), "{:?}", loaded.rejected);
    let names: Vec<_> = loaded
        .records
        .iter()
        .map(|s| s.family_name.as_deref())
        .collect();
    assert_eq!(names, [Some("Peña"), Some("Kim")]);
}

#[test]
fn large_files_keep_row_order_and_find_duplicates_across_parallel_batches() {
    // 40,000 rows span several parse batches; row 35,000 repeats row 5's id and row 20,001
    // is bad.
    let mut csv = String::from("subject_id,family_name\n");
    for i in 1..=40_000u32 {
        let id = match i {
            35_000 => "S5".to_owned(),
            20_001 => String::new(),
            _ => format!("S{i}"),
        };
        csv.push_str(&format!("{id},Name{i}\n"));
    }
    let loaded = read_str::<Subject>(&csv);
    assert_eq!(loaded.records.len(), 39_998);
    let rows_in_order = loaded.rows.windows(2).all(|w| w[0] < w[1]);
    assert!(rows_in_order);
    assert_eq!(loaded.records[4].subject_id, "S5");
    assert_eq!(loaded.records[4].family_name.as_deref(), Some("Name5"));
    let rejected: Vec<String> = loaded.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(
        rejected,
        [
            "row 20001: subject_id: is required but empty",
            "row 35000: subject_id: duplicate of row 5"
        ]
    );
}

#[test]
fn duplicates_are_the_same_whatever_the_number_of_cores() {
    // Ids repeat within a batch, across batches, three times, and after a rejected row with
    // the same id (a rejected row is no one's first). Duplicate ids are looked up in one
    // shard per core: the result must not depend on how many there are.
    let mut csv =
        String::from("return_id,tin,tax_year,given_name,family_name,street,city,state,zip\n");
    let mut expected = Vec::new();
    let mut first = std::collections::HashMap::new();
    for i in 1..=50_000u32 {
        let id = format!("R{}", i % 17_389);
        let bad = i % 9_973 == 0;
        let zip = if bad { "7870" } else { "78701" };
        csv.push_str(&format!(
            "{id},123-45-6789,2024,Ann,Lee,1 Oak Ave,Austin,TX,{zip}\n"
        ));
        if bad {
            expected.push(format!("row {i}: zip: must have 5 or 9 digits"));
            continue;
        }
        match first.get(&id) {
            Some(f) => expected.push(format!("row {i}: return_id: duplicate of row {f}")),
            None => {
                first.insert(id, i);
            }
        }
    }
    // Read from a file, the tables also make room for the rows its size promises.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("returns.csv");
    std::fs::write(&path, &csv).unwrap();
    for cores in [1, 2, 3, 4] {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(cores)
            .build()
            .unwrap();
        let from_text = pool.install(|| read_str::<TaxReturn>(&csv));
        let from_file = pool.install(|| table::read::<TaxReturn>(&path).unwrap());
        for (loaded, how) in [(from_text, "text"), (from_file, "file")] {
            let rejected: Vec<String> = loaded.rejected.iter().map(ToString::to_string).collect();
            let differ = rejected.iter().zip(&expected).find(|(a, b)| a != b);
            assert_eq!(differ, None, "{cores} cores, {how}");
            assert_eq!(rejected.len(), expected.len(), "{cores} cores, {how}");
            assert_eq!(
                loaded.records.len(),
                50_000 - expected.len(),
                "{cores} cores, {how}"
            );
        }
    }
}

#[test]
fn parquet_row_groups_read_in_parallel_keep_file_order_and_row_numbers() {
    // 150,000 rows are three row groups; row 100,000 repeats row 7's id and row 140,001 has
    // no id, so both errors sit in later groups than the rows they name.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("subjects.parquet");
    let subjects: Vec<Subject> = (1..=150_000u32)
        .map(|i| Subject {
            subject_id: match i {
                100_000 => "S7".to_owned(),
                140_001 => String::new(),
                _ => format!("S{i}"),
            },
            family_name: Some(format!("Name{i}")),
            ..Subject::default()
        })
        .collect();
    table::write_all(&path, &subjects).unwrap();
    let loaded = table::read::<Subject>(&path).unwrap();
    assert_eq!(loaded.records.len(), 149_998);
    assert!(loaded.rows.windows(2).all(|w| w[0] < w[1]));
    let names_follow_rows = loaded
        .records
        .iter()
        .zip(&loaded.rows)
        .all(|(r, row)| r.family_name.as_deref() == Some(format!("Name{row}").as_str()));
    assert!(names_follow_rows);
    let rejected: Vec<String> = loaded.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(
        rejected,
        [
            "row 100000: subject_id: duplicate of row 7",
            "row 140001: subject_id: is required but empty"
        ]
    );
}

#[test]
fn read_each_hands_on_rows_in_stretches_in_file_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut csv = String::from("subject_id,family_name\n");
    // 70,000 rows: several CSV batches, two Parquet row groups.
    for i in 1..=70_000u32 {
        let id = if i == 30_000 {
            "S3".to_owned()
        } else {
            format!("S{i}")
        };
        csv.push_str(&format!("{id},Name{i}\n"));
    }
    for ext in ["csv", "parquet"] {
        let path = dir.path().join(format!("subjects.{ext}"));
        if ext == "csv" {
            std::fs::write(&path, &csv).unwrap();
        } else {
            table::write_all(&path, &read_str::<Subject>(&csv).records).unwrap();
        }
        let whole = table::read::<Subject>(&path).unwrap();
        let (mut stretches, mut rows, mut ids) = (0, Vec::new(), Vec::new());
        let issues = table::read_each::<Subject>(&path, &mut |a: &mut table::Accepted<Subject>| {
            stretches += 1;
            assert_eq!(a.records.len(), a.rows.len());
            rows.append(&mut a.rows);
            ids.extend(a.records.drain(..).map(|r| r.subject_id));
        })
        .unwrap();
        assert!(stretches > 1, "{ext}: {stretches} stretch(es)");
        assert_eq!(rows, whole.rows, "{ext}");
        let whole_ids: Vec<String> = whole.records.into_iter().map(|r| r.subject_id).collect();
        assert_eq!(ids, whole_ids, "{ext}");
        assert_eq!(issues.accepted, rows.len() as u64, "{ext}");
        let rejected: Vec<String> = issues.rejected.iter().map(ToString::to_string).collect();
        // The CSV copy's duplicate was dropped before the Parquet file was written.
        if ext == "csv" {
            assert_eq!(rejected, ["row 30000: subject_id: duplicate of row 3"]);
        } else {
            assert!(rejected.is_empty());
        }
    }
}

/// A reader that fails once `limit` bytes have been read.
struct Failing<'a> {
    data: &'a [u8],
    limit: usize,
}

impl std::io::Read for Failing<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.limit == 0 {
            return Err(std::io::Error::other("disk went away"));
        }
        let n = buf.len().min(self.limit).min(self.data.len());
        buf[..n].copy_from_slice(&self.data[..n]);
        self.data = &self.data[n..];
        self.limit -= n;
        Ok(n)
    }
}

#[test]
fn a_read_failure_in_a_later_batch_is_an_error_naming_the_file() {
    // The failure comes while the reader fills the batch after the first (read ahead while
    // the first is parsed): the whole read fails, it does not stop short silently.
    let mut csv = String::from("subject_id,family_name\n");
    for i in 1..=60_000u32 {
        csv.push_str(&format!("S{i},Name{i}\n"));
    }
    let limit = csv.len() * 2 / 3;
    let err = table::read_csv_from::<Subject, _>(
        Path::new("late.csv"),
        Failing {
            data: csv.as_bytes(),
            limit,
        },
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(message.starts_with("late.csv: "), "{message}");
    assert!(message.contains("disk went away"), "{message}");
}
