//! The `crosscheck` binary driven as a user would, one directory per test.

use std::path::Path;
use std::process::{Command, Output};

fn crosscheck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_crosscheck"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Writes a synthetic population into `out`, failing the test if `synth` fails.
fn synth(out: &Path, people: u32, subjects: u32, seed: u32) {
    synth_with(out, people, subjects, seed, &[]);
}

/// [`synth`] with more options (`--rates FILE`, …).
fn synth_with(out: &Path, people: u32, subjects: u32, seed: u32, more: &[&str]) {
    let (people, subjects, seed) = (people.to_string(), subjects.to_string(), seed.to_string());
    let mut args = vec![
        "synth",
        "--people",
        &people,
        "--subjects",
        &subjects,
        "--seed",
        &seed,
        "--out",
        out.to_str().unwrap(),
    ];
    args.extend_from_slice(more);
    let o = crosscheck(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

/// The subcommands a `--help` text lists under "Commands:" (without `help`).
fn subcommands(help: &str) -> Vec<String> {
    help.lines()
        .skip_while(|l| !l.starts_with("Commands:"))
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        // A command's line starts with two spaces; a wrapped description with more.
        .filter(|l| l.starts_with("  ") && !l.starts_with("   "))
        .filter_map(|l| l.split_whitespace().next())
        .filter(|c| *c != "help")
        .map(str::to_owned)
        .collect()
}

#[test]
fn every_command_has_help() {
    // Walks the tree the binary itself lists, so a new command is covered without editing
    // this test.
    let mut todo: Vec<Vec<String>> = vec![vec![]];
    let mut seen = 0;
    while let Some(path) = todo.pop() {
        let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
        args.push("--help");
        let out = crosscheck(&args);
        assert!(out.status.success(), "{args:?}");
        let help = text(&out.stdout);
        assert!(help.contains("Usage"), "{args:?}");
        seen += 1;
        for sub in subcommands(&help) {
            let mut next = path.clone();
            next.push(sub);
            todo.push(next);
        }
    }
    assert!(
        seen >= 20,
        "only {seen} commands found: is the help format still parsed?"
    );
}

#[test]
fn synth_writes_the_three_files_and_evaluate_scores_a_result() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("data");
    let o = crosscheck(&[
        "synth",
        "--people",
        "500",
        "--subjects",
        "50",
        "--seed",
        "3",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("500 people"));
    for f in ["returns.csv", "subjects.csv", "truth.csv"] {
        assert!(out.join(f).exists(), "{f}");
    }
    // A result that says no_match for everyone: recall 0, precision undefined.
    let truth = std::fs::read_to_string(out.join("truth.csv")).unwrap();
    let mut result = String::from("subject_id,outcome,tin\n");
    for line in truth.lines().skip(1) {
        let id = line.split(',').next().unwrap();
        result.push_str(&format!("{id},no_match,\n"));
    }
    let result_path = dir.path().join("result.csv");
    std::fs::write(&result_path, result).unwrap();
    let o = crosscheck(&[
        "evaluate",
        "--truth",
        out.join("truth.csv").to_str().unwrap(),
        "--result",
        result_path.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let table = text(&o.stdout);
    assert!(table.contains("precision (auto)    n/a"), "{table}");
    assert!(table.contains("recall (auto)       0.0000"), "{table}");
    let o = crosscheck(&[
        "evaluate",
        "--json",
        "--truth",
        out.join("truth.csv").to_str().unwrap(),
        "--result",
        result_path.to_str().unwrap(),
    ]);
    let json: serde_json::Value = serde_json::from_slice(&o.stdout).expect("valid JSON");
    assert_eq!(json["overall"]["subjects"], 50);
    assert_eq!(json["overall"]["matches"], 0);
}

#[test]
fn synth_reads_another_populations_rates_and_prints_the_rates_in_use() {
    let dir = tempfile::tempdir().unwrap();
    // The printed rates are a complete rates file: edited and read back, they take effect.
    let o = crosscheck(&["synth", "--print-rates", "--origins", "korean=1"]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let mut rates: serde_json::Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(rates["origins"], "korean=1");
    rates["subject_kinds"] = serde_json::json!([0, 1, 0, 0]);
    let file = dir.path().join("rates.json");
    std::fs::write(&file, rates.to_string()).unwrap();
    let out = dir.path().join("data");
    synth_with(&out, 300, 40, 1, &["--rates", file.to_str().unwrap()]);
    let truth = std::fs::read_to_string(out.join("truth.csv")).unwrap();
    assert_eq!(truth.lines().skip(1).count(), 40);
    for line in truth.lines().skip(1) {
        assert!(
            line.contains(",non_filer,") && line.contains(",korean,"),
            "{line}"
        );
    }
    // A missing file, or a misspelt or impossible rate, is refused, naming it, and nothing is
    // written.
    for (bad, named) in [
        (None, "while reading the rates file"),
        (
            Some(r#"{"distortions": {"typo_givn": 0.1}}"#),
            "distortions.typo_givn",
        ),
        (Some(r#"{"twin_share": 1.5}"#), "`twin_share` is 1.5"),
    ] {
        let rates = match bad {
            Some(text) => {
                std::fs::write(&file, text).unwrap();
                file.clone()
            }
            None => dir.path().join("no-such-rates.json"),
        };
        let refused = dir.path().join("refused");
        let o = crosscheck(&[
            "synth",
            "--rates",
            rates.to_str().unwrap(),
            "--out",
            refused.to_str().unwrap(),
        ]);
        assert_eq!(o.status.code(), Some(1), "{bad:?}");
        assert!(text(&o.stderr).contains(named), "{}", text(&o.stderr));
        assert!(!refused.exists());
    }
}

#[test]
fn bad_input_is_a_clear_error_not_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let truth = dir.path().join("truth.csv");
    std::fs::write(&truth, "subject_id,kind\nS1,filer\n").unwrap();
    let o = crosscheck(&[
        "evaluate",
        "--truth",
        truth.to_str().unwrap(),
        "--result",
        "nope.csv",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(err.contains("no `tins` column"), "{err}");
    assert!(!err.contains("panicked"));
    let o = crosscheck(&[
        "synth",
        "--people",
        "0",
        "--out",
        dir.path().to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("--people must be at least 1"));
    assert!(!Path::new("nope.csv").exists());
}

#[test]
fn train_then_link_with_the_saved_model_explains_every_decision() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = |f: &str| data.join(f).to_str().unwrap().to_owned();
    synth(&data, 3000, 300, 1);
    let model = dir.path().join("model.json");
    let o = crosscheck(&[
        "train",
        "--returns",
        &d("returns.csv"),
        "--subjects",
        &d("subjects.csv"),
        "--output",
        model.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(json["fields"].as_array().unwrap().len(), 6);
    assert_eq!(json["fields"][5]["name"], "middle");
    assert!(json["lambda"].as_f64().unwrap() > 0.0);
    assert!(json["fields"][0]["levels"][0]["m"].as_f64().unwrap() > 0.5);
    assert!(json["household"]["share"].as_f64().unwrap() > 0.0);
    assert_eq!(json["household"]["given_dob"].as_array().unwrap().len(), 5);
    assert_eq!(
        json["household"]["given_middle"].as_array().unwrap().len(),
        5
    );
    // A model saved by an earlier build (format 2, without the middle name) is refused
    // with the advice to retrain, not read as if it had one.
    let mut old = json.clone();
    old["version"] = 2.into();
    old["fields"].as_array_mut().unwrap().pop();
    old["household"]
        .as_object_mut()
        .unwrap()
        .remove("given_middle");
    let old_model = dir.path().join("old-model.json");
    std::fs::write(&old_model, old.to_string()).unwrap();
    let o = link_with_model(&data, &old_model, &dir.path().join("old.csv"));
    assert_eq!(o.status.code(), Some(1));
    let err = text(&o.stderr);
    assert!(
        err.contains("version 2")
            && err.contains("reads version 3")
            && err.contains("crosscheck train"),
        "{err}"
    );

    let result = dir.path().join("result.parquet");
    let o = crosscheck(&[
        "link",
        "--returns",
        &d("returns.csv"),
        "--subjects",
        &d("subjects.csv"),
        "--output",
        result.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
        "--explain",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("link: match "),
        "{}",
        text(&o.stderr)
    );
    let rows =
        crosscheck_contract::table::read::<crosscheck_contract::LinkResult>(&result).unwrap();
    assert_eq!(rows.records.len(), 300);
    let subjects = crosscheck_contract::table::read::<crosscheck_contract::Subject>(
        &data.join("subjects.csv"),
    )
    .unwrap();
    let order: Vec<_> = rows.records.iter().map(|r| r.subject_id.clone()).collect();
    let expected: Vec<_> = subjects
        .records
        .iter()
        .map(|s| s.subject_id.clone())
        .collect();
    assert_eq!(order, expected, "one row per subject, in input order");
    for r in &rows.records {
        if r.outcome == crosscheck_contract::Outcome::Match {
            assert!(
                r.evidence.as_deref().is_some_and(|e| e.contains("dob=")),
                "{r:?}"
            );
            assert!(r.street.is_some() && r.address_tax_year.is_some());
        }
    }
    let o = crosscheck(&[
        "evaluate",
        "--json",
        "--truth",
        &d("truth.csv"),
        "--result",
        result.to_str().unwrap(),
        "--returns",
        &d("returns.csv"),
        "--subjects",
        &d("subjects.csv"),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let report: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(
        report["blocking"]["recall"].as_f64().unwrap() > 0.9,
        "{}",
        report["blocking"]
    );
    let explain = std::fs::read_to_string(format!("{}.explain.jsonl", result.display())).unwrap();
    assert_eq!(explain.lines().count(), 300);
    for (line, row) in explain.lines().zip(&rows.records) {
        let line: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(line["subject_id"], row.subject_id.as_str());
        assert_eq!(line["decision"]["outcome"], row.outcome.as_str());
        if row.outcome != crosscheck_contract::Outcome::NoMatch {
            // The explanation names the same candidates as the result, by TIN.
            assert_eq!(line["best_tin"].as_str(), row.tin.as_deref(), "{line}");
            if let Some(r) = &row.runner_up_tin {
                assert_eq!(line["runner_up_tin"].as_str(), Some(r.as_str()), "{line}");
            }
        } else if !line["decision"]["best"].is_null() {
            // A no_match still shows the custodian who came closest, by TIN.
            let tin = line["best_tin"].as_str().unwrap_or_default();
            assert!(
                tin.len() == 9 && tin.bytes().all(|b| b.is_ascii_digit()),
                "{line}"
            );
        }
    }
}

/// `crosscheck link` of the synthetic files in `data` with the model file `model`.
fn link_with_model(data: &Path, model: &Path, output: &Path) -> Output {
    let d = |f: &str| data.join(f).to_str().unwrap().to_owned();
    crosscheck(&[
        "link",
        "--returns",
        &d("returns.csv"),
        "--subjects",
        &d("subjects.csv"),
        "--output",
        output.to_str().unwrap(),
        "--model",
        model.to_str().unwrap(),
    ])
}

#[test]
fn a_file_that_is_not_a_model_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    synth(&data, 200, 10, 1);
    let bogus = dir.path().join("model.json");
    std::fs::write(&bogus, "{\"hello\": 1}").unwrap();
    let o = link_with_model(&data, &bogus, &dir.path().join("r.csv"));
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o.stderr).contains("not a crosscheck model"),
        "{}",
        text(&o.stderr)
    );
}

#[test]
fn oversight_verifies_a_ledger_export_and_its_proofs_with_only_the_public_key() {
    let dir = tempfile::tempdir().unwrap();
    let p = |f: &str| dir.path().join(f).to_str().unwrap().to_owned();
    let o = crosscheck(&[
        "ledger",
        "sample",
        "--out",
        dir.path().to_str().unwrap(),
        "--entries",
        "300",
        "--every",
        "100",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let verify_args = |entries: &str| {
        vec![
            "ledger".to_owned(),
            "verify".into(),
            "--entries".into(),
            entries.to_owned(),
            "--checkpoints".into(),
            p("checkpoints.json"),
            "--public-key".into(),
            p("public-key.txt"),
        ]
    };
    let run = |args: Vec<String>| crosscheck(&args.iter().map(String::as_str).collect::<Vec<_>>());
    let o = run(verify_args(&p("entries.jsonl")));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("300 entries"));

    // Rewrite what entry 150 says: verification fails and names it.
    let export = std::fs::read_to_string(p("entries.jsonl")).unwrap();
    let mut lines: Vec<String> = export.lines().map(str::to_owned).collect();
    lines[150] = lines[150].replace(
        "\\\"outcome\\\":\\\"ok\\\"",
        "\\\"outcome\\\":\\\"released\\\"",
    );
    std::fs::write(p("tampered.jsonl"), lines.join("\n")).unwrap();
    let o = run(verify_args(&p("tampered.jsonl")));
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("entry 150"), "{}", text(&o.stderr));

    // Inclusion and consistency proofs, checked against signed checkpoints.
    let checkpoints: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(p("checkpoints.json")).unwrap()).unwrap();
    let by_size = |size: u64| {
        checkpoints
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["size"] == size)
            .unwrap()
            .to_string()
    };
    std::fs::write(p("c100.json"), by_size(100)).unwrap();
    std::fs::write(p("c300.json"), by_size(300)).unwrap();
    let o = crosscheck(&[
        "ledger",
        "prove",
        "--entries",
        &p("entries.jsonl"),
        "--entry",
        "42",
        "--size",
        "300",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    std::fs::write(p("inclusion.json"), &o.stdout).unwrap();
    let o = crosscheck(&[
        "ledger",
        "prove",
        "--entries",
        &p("entries.jsonl"),
        "--from",
        "100",
    ]);
    std::fs::write(p("consistency.json"), &o.stdout).unwrap();
    for (proof, cps) in [
        ("inclusion.json", vec!["c300.json"]),
        ("consistency.json", vec!["c100.json", "c300.json"]),
    ] {
        let mut args = vec![
            "ledger".to_owned(),
            "verify-proof".into(),
            "--proof".into(),
            p(proof),
            "--public-key".into(),
            p("public-key.txt"),
        ];
        for c in &cps {
            args.push("--checkpoint".into());
            args.push(p(c));
        }
        let o = run(args.clone());
        assert!(o.status.success(), "{proof}: {}", text(&o.stderr));
        assert_eq!(text(&o.stdout).trim(), "proof holds");
        // Against another key, the same proof does not hold.
        std::fs::write(p("other-key.txt"), "11".repeat(32)).unwrap();
        let other: Vec<String> = args
            .iter()
            .map(|a| {
                if a.ends_with("public-key.txt") {
                    p("other-key.txt")
                } else {
                    a.clone()
                }
            })
            .collect();
        let o = run(other);
        assert_eq!(o.status.code(), Some(1), "{proof}");
    }
}

#[test]
fn accounting_totals_per_agency_and_finds_one_taxpayer_by_tin() {
    let dir = tempfile::tempdir().unwrap();
    let p = |f: &str| dir.path().join(f).to_str().unwrap().to_owned();
    assert!(
        crosscheck(&[
            "ledger",
            "sample",
            "--out",
            dir.path().to_str().unwrap(),
            "--entries",
            "100",
            "--every",
            "50"
        ])
        .status
        .success()
    );
    let base = [
        "ledger",
        "accounting",
        "--entries",
        &p("entries.jsonl"),
        "--checkpoints",
        &p("checkpoints.json"),
        "--public-key",
        &p("public-key.txt"),
    ];
    let mut args: Vec<&str> = base.to_vec();
    args.push("--json");
    let o = crosscheck(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let rows: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let disclosures: u64 = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["totals"]["disclosures"].as_u64().unwrap())
        .sum();
    assert_eq!(disclosures, 20, "one disclosure per five sample entries");
    let key = p("personal-key.txt");
    let mut args: Vec<&str> = base.to_vec();
    args.extend(["--key-file", &key, "--tin", "100-00-0003", "--json"]);
    let o = crosscheck(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let found: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let seqs: Vec<u64> = found
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [15, 16, 17, 18, 19]);
    // The output carries the entries' HMACs, never the TIN asked about.
    assert!(!text(&o.stdout).contains("100000003"));
}

#[test]
fn the_demo_links_scores_and_leaves_a_ledger_that_verifies() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path().join("demo");
    let o = crosscheck(&[
        "demo",
        "--dir",
        d.to_str().unwrap(),
        "--people",
        "2000",
        "--subjects",
        "200",
        "--no-serve",
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let report = text(&o.stdout);
    assert!(
        report.contains("precision (auto)") && report.contains("identifiers"),
        "{report}"
    );
    for f in [
        "returns.csv",
        "subjects.csv",
        "truth.csv",
        "result.csv",
        "ledger/entries.jsonl",
    ] {
        assert!(d.join(f).exists(), "{f}");
    }
    let l = d.join("ledger");
    let p = |f: &str| l.join(f).to_str().unwrap().to_owned();
    let o = crosscheck(&[
        "ledger",
        "verify",
        "--entries",
        &p("entries.jsonl"),
        "--checkpoints",
        &p("checkpoints.json"),
        "--public-key",
        &p("public-key.txt"),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert!(text(&o.stdout).contains("200 entries"));
}

#[test]
fn link_output_is_byte_identical_on_one_thread_and_on_two() {
    // covers: RELIABILITY.md E2 (determinism across thread counts).
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = |f: &str| data.join(f).to_str().unwrap().to_owned();
    synth(&data, 3000, 300, 4);
    let mut outputs = Vec::new();
    for threads in ["1", "2"] {
        let out = dir.path().join(format!("result-{threads}.csv"));
        let o = Command::new(env!("CARGO_BIN_EXE_crosscheck"))
            .env("RAYON_NUM_THREADS", threads)
            .args([
                "link",
                "--returns",
                &d("returns.csv"),
                "--subjects",
                &d("subjects.csv"),
                "--output",
                out.to_str().unwrap(),
            ])
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", text(&o.stderr));
        outputs.push(std::fs::read(&out).unwrap());
    }
    assert_eq!(outputs[0], outputs[1]);
}

#[test]
fn import_stores_good_returns_and_names_each_bad_row() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("returns.csv");
    std::fs::write(
        &file,
        "return_id,tin,tax_year,given_name,family_name,street,city,state,zip\n\
         R1,123-45-6789,2023,ANA,RUIZ,1 OAK AVE,SPRINGFIELD,IL,62704\n\
         R2,000-12-3456,2023,LUIS,SOTO,2 OAK AVE,SPRINGFIELD,IL,62704\n\
         R3,123-45-6790,20X3,EVA,DIAZ,3 OAK AVE,SPRINGFIELD,IL,62704\n\
         R4,123-45-6791,2024,JUAN,PEREZ,4 OAK AVE,SPRINGFIELD,IL,62704\n",
    )
    .unwrap();
    let data = dir.path().join("data");
    let o = crosscheck(&[
        "import",
        "returns",
        file.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    // Data rows are numbered from 1 and named with the field at fault; values never echoed.
    assert!(
        err.contains("row 2: tin") && err.contains("row 3: tax_year"),
        "{err}"
    );
    assert!(
        !err.contains("000-12-3456") && !err.contains("LUIS"),
        "{err}"
    );
    assert!(err.contains("2 returns stored"), "{err}");
    // Importing again adds nothing, and the store's ledger verifies.
    let o = crosscheck(&[
        "import",
        "returns",
        file.to_str().unwrap(),
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert!(text(&o.stderr).contains("0 returns stored, 2 already present"));
    let o = crosscheck(&["ledger", "verify", "--data-dir", data.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // Names and TINs are sealed in the database file.
    let db = std::fs::read(data.join("crosscheck.db")).unwrap();
    assert!(!db.windows(4).any(|w| w == b"RUIZ"));
}

#[test]
fn admin_manages_users_tokens_and_holds_in_the_store_and_the_ledger_records_it() {
    use std::io::Write;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();
    let run_stdin = |args: &[&str], input: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_crosscheck"))
            .args(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    };
    let o = run_stdin(
        &[
            "admin",
            "user",
            "alice",
            "--role",
            "reviewer",
            "--password-stdin",
            "--data-dir",
            d,
        ],
        "a long enough password\n",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = run_stdin(
        &[
            "admin",
            "user",
            "bob",
            "--role",
            "reviewer",
            "--password-stdin",
            "--data-dir",
            d,
        ],
        "short\n",
    );
    assert!(!o.status.success());
    assert!(
        text(&o.stderr).contains("at least 12 characters"),
        "{}",
        text(&o.stderr)
    );
    let o = crosscheck(&[
        "admin",
        "user",
        "carol",
        "--role",
        "requester",
        "--data-dir",
        d,
    ]);
    assert!(!o.status.success() && text(&o.stderr).contains("agency"));
    let o = crosscheck(&["admin", "token", "alice", "--data-dir", d]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let token = text(&o.stdout);
    assert_eq!(token.trim().len(), 64, "{token}");
    let o = crosscheck(&[
        "admin",
        "hold",
        "no-such-agency",
        "--order-ref",
        "X-1",
        "--since",
        "2026-01-01",
        "--data-dir",
        d,
    ]);
    assert!(!o.status.success() && text(&o.stderr).contains("not_found"));
    let o = run_stdin(
        &[
            "admin",
            "flag",
            "--note",
            "determination D-7",
            "--data-dir",
            d,
        ],
        "123-45-6789\n",
    );
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = crosscheck(&["ledger", "verify", "--data-dir", d]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    // alice, the token and the flag: three entries (refused changes record nothing).
    assert!(text(&o.stdout).contains("3 entries"), "{}", text(&o.stdout));
}

/// `serve --policies FILE`: a replacement that fails the checks stops the server before the
/// store is touched, naming the file; a valid one starts it, and its SHA-256 is in the ledger.
#[test]
fn serve_refuses_a_bad_policy_file_and_records_a_replacement_in_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = data.to_str().unwrap();

    let bad = dir.path().join("bad.cedar");
    std::fs::write(&bad, "permit(principal, action, resource);\n").unwrap();
    let o = crosscheck(&[
        "serve",
        "--data-dir",
        d,
        "--listen",
        "127.0.0.1:0",
        "--policies",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("bad.cedar"), "{}", text(&o.stderr));
    assert!(!data.exists(), "the store was opened for a bad policy file");

    let good = dir.path().join("good.cedar");
    std::fs::write(&good, crosscheck_policy::SHIPPED_POLICIES).unwrap();
    let log = dir.path().join("serve.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_crosscheck"))
        .args([
            "serve",
            "--data-dir",
            d,
            "--listen",
            "127.0.0.1:0",
            "--policies",
        ])
        .arg(&good)
        .stdout(std::fs::File::create(dir.path().join("serve.out")).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let started = loop {
        let out = std::fs::read_to_string(&log).unwrap_or_default();
        if out.contains("listening on") {
            break out;
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("serve exited ({status}): {out}");
        }
        assert!(std::time::Instant::now() < deadline, "no start: {out}");
        std::thread::sleep(std::time::Duration::from_millis(25));
    };
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(started.contains("replacement policies from"), "{started}");

    let export = dir.path().join("export");
    let o = crosscheck(&[
        "ledger",
        "export",
        "--data-dir",
        d,
        "--out",
        export.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let entries = std::fs::read_to_string(export.join("entries.jsonl")).unwrap();
    assert!(entries.contains("policy.replaced"), "{entries}");
    let digest = {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(
            crosscheck_policy::SHIPPED_POLICIES.as_bytes(),
        ))
    };
    assert!(entries.contains(&format!("sha256:{digest}")), "{entries}");
    let o = crosscheck(&["ledger", "verify", "--data-dir", d]);
    assert!(o.status.success(), "{}", text(&o.stderr));
}

#[test]
fn thresholds_given_on_the_command_line_decide_and_are_saved_with_the_model() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let d = |f: &str| data.join(f).to_str().unwrap().to_owned();
    let p = |f: &str| dir.path().join(f).to_str().unwrap().to_owned();
    synth(&data, 2000, 200, 1);
    let files = [
        "--returns",
        &d("returns.csv"),
        "--subjects",
        &d("subjects.csv"),
    ];
    let link = |extra: &[&str], out: &str| {
        let mut args = vec!["link"];
        args.extend(files);
        args.extend(["--output", out]);
        args.extend(extra);
        crosscheck(&args)
    };

    // Unusable thresholds are refused before any work, naming the flag.
    let o = link(&["--match-probability", "1.5"], &p("bad.csv"));
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    assert!(
        text(&o.stderr).contains("not a probability"),
        "{}",
        text(&o.stderr)
    );
    let o = link(
        &["--match-probability", "0.9", "--review-probability", "0.95"],
        &p("bad.csv"),
    );
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("--review-probability must not exceed"));
    assert!(!dir.path().join("bad.csv").exists());

    // A stricter match threshold on the command line...
    let o = link(&["--match-probability", "0.99999"], &p("strict.csv"));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let o = link(&[], &p("default.csv"));
    assert!(o.status.success(), "{}", text(&o.stderr));
    let read = |f: &str| {
        crosscheck_contract::table::read::<crosscheck_contract::LinkResult>(Path::new(&p(f)))
            .unwrap()
            .records
    };
    let matches = |rows: &[crosscheck_contract::LinkResult]| {
        rows.iter()
            .filter(|r| r.outcome == crosscheck_contract::Outcome::Match)
            .map(|r| r.match_probability.unwrap())
            .collect::<Vec<_>>()
    };
    let (strict, default) = (read("strict.csv"), read("default.csv"));
    assert!(matches(&strict).iter().all(|p| *p >= 0.99999));
    assert!(
        matches(&default).iter().any(|p| *p < 0.99999),
        "the default threshold matches some subjects the strict one does not"
    );
    assert!(matches(&strict).len() < matches(&default).len());

    // ...is what `train` saves, and a link with that model decides the same.
    let mut args = vec!["train"];
    args.extend(files);
    let model = p("model.json");
    args.extend(["--output", &model, "--match-probability", "0.99999"]);
    let o = crosscheck(&args);
    assert!(o.status.success(), "{}", text(&o.stderr));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&model).unwrap()).unwrap();
    assert_eq!(json["thresholds"]["match_probability"], 0.99999);
    assert_eq!(json["thresholds"]["review_probability"], 0.5);
    let o = link(&["--model", &model], &p("from_model.csv"));
    assert!(o.status.success(), "{}", text(&o.stderr));
    assert_eq!(
        std::fs::read(p("from_model.csv")).unwrap(),
        std::fs::read(p("strict.csv")).unwrap()
    );
}
