//! Canary leak test (RELIABILITY A6, small size): a subject whose personal fields hold
//! unique canary strings goes through intake, gate and matching, and through every error
//! path we can provoke; neither the raw ledger rows nor any error body carries a canary.

use serde_json::{Value, json};
use sqlx::Row;

use crosscheck_contract::Subject;
use crosscheck_web::demo;

use crate::helpers::{Auth, Backend, TestApp, shared};

struct Canaries {
    values: Vec<String>,
    subject: Subject,
}

fn canaries() -> Canaries {
    let c = hex::encode(&crosscheck_store::random_32()[..6]).to_uppercase();
    let r = crosscheck_store::random_32();
    // A valid SSN nobody in the extract has: area 100..=665, group 01..=99, serial 0001..=9999.
    let tin = format!(
        "{:03}{:02}{:04}",
        100 + u32::from(r[0]) * 2,
        1 + u32::from(r[1]) % 99,
        1 + (u32::from(r[2]) * 256 + u32::from(r[3])) % 9_999
    );
    let dob = format!(
        "19{:02}-{:02}-{:02}",
        40 + r[4] % 50,
        1 + r[5] % 12,
        1 + r[6] % 28
    );
    let subject = Subject {
        subject_id: "CANARY-SUBJECT".into(),
        given_name: Some(format!("Cgiven{c}")),
        middle_name: Some(format!("Cmiddle{c}")),
        family_name: Some(format!("Cfamily{c}")),
        dob: Some(dob.clone()),
        street: Some(format!("4821 Cstreet{c} Ave")),
        unit: Some(format!("Apt C{c}")),
        city: Some(format!("Ccity{c}")),
        state: Some("IL".into()),
        zip: Some("62704".into()),
        tin: Some(tin.clone()),
    };
    let mut values: Vec<String> = ["given", "middle", "family", "street", "city"]
        .iter()
        .map(|f| format!("C{f}{c}"))
        .collect();
    values.push(c.clone());
    values.push(tin.clone());
    values.push(format!("{}-{}-{}", &tin[..3], &tin[3..5], &tin[5..]));
    values.push(dob);
    Canaries { values, subject }
}

async fn canary_values_reach_neither_the_ledger_nor_any_error_body(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let Canaries { values, subject } = canaries();
    let requester = app.token("requester");
    let mut errors: Vec<(String, String)> = Vec::new();

    // Intake, gate and matching of the canary with two filers.
    let mut subjects = vec![subject.clone()];
    subjects.extend(shared().filers(200, 2));
    let view = app.submit("CANARY-1", &subjects).await;
    let id = view["id"].as_str().unwrap().to_string();
    // The same subject with a bad address (gate rejection) and a bad TIN shape.
    let mut bad = subject.clone();
    bad.street = Some(format!("Unknown Address {}", values[5]));
    bad.tin = Some(format!("{}0", values[6]));
    app.submit("CANARY-2", &[bad]).await;

    // Error paths.
    let mut push = |what: &str, r: crate::helpers::Resp| {
        assert!(r.status >= 400, "{what} did not fail: {}", r.text);
        errors.push((what.to_string(), r.text));
    };
    push(
        "key reused",
        app.submit_request(demo::request("CANARY-3", &subjects), "CANARY-1")
            .await,
    );
    let mut signed = app.signed(demo::request("CANARY-4", &subjects));
    let post_raw = async |what: &str, key: &str, body: Vec<u8>| {
        let r = app
            .call(
                "POST",
                "/api/requests",
                &requester,
                &[("idempotency-key", key)],
                Some(body),
            )
            .await;
        (what.to_string(), r)
    };
    let mut raw_cases = Vec::new();
    let wrong_type = {
        let mut v = signed.clone();
        v["request"]["subjects"][0]["dob"] = json!({ "value": subject.dob });
        v
    };
    raw_cases.push(post_raw("wrong type", "c-1", wrong_type.to_string().into_bytes()).await);
    let unknown_field = {
        let mut v = signed.clone();
        v["request"]["subjects"][0]["nickname"] = json!(subject.given_name);
        v
    };
    raw_cases.push(
        post_raw(
            "unknown field",
            "c-2",
            unknown_field.to_string().into_bytes(),
        )
        .await,
    );
    let truncated = signed.to_string();
    let cut = truncated.find("Cfamily").unwrap() + 10;
    raw_cases.push(
        post_raw(
            "truncated JSON",
            "c-3",
            truncated.as_bytes()[..cut].to_vec(),
        )
        .await,
    );
    signed["request"]["subjects"][0]["given_name"] = json!(12345);
    raw_cases.push(post_raw("number for a name", "c-4", signed.to_string().into_bytes()).await);
    let batch = json!({
        "envelope": signed["request"]["envelope"],
        "subjects_csv": format!(
            "subject_id,given_name\nS1,{},{}\n",
            subject.given_name.clone().unwrap(),
            subject.family_name.clone().unwrap()
        ),
        "signature": "00",
    });
    let r = app
        .call(
            "POST",
            "/api/requests/batch",
            &requester,
            &[("idempotency-key", "c-5")],
            Some(batch.to_string().into_bytes()),
        )
        .await;
    raw_cases.push(("bad CSV".into(), r));
    for (what, r) in raw_cases {
        push(&what, r);
    }
    push(
        "response before release",
        app.get(&format!("/api/requests/{id}/response"), &requester)
            .await,
    );
    let auditor = app.token("auditor");
    push(
        "accounting for a non-TIN",
        app.post(
            "/api/accounting/taxpayer",
            &auditor,
            &json!({"tin": format!("{}X", values[6])}),
        )
        .await,
    );
    push(
        "flag with a bad TIN",
        app.post(
            "/api/admin/flags",
            &app.token("officer"),
            &json!({"tin": values[0], "note": values[1]}),
        )
        .await,
    );
    // Accounting by the canary TIN succeeds, and is itself a ledger entry.
    app.post(
        "/api/accounting/taxpayer",
        &auditor,
        &json!({"tin": values[6]}),
    )
    .await
    .expect(200);

    for (what, body) in &errors {
        let v: Value = serde_json::from_str(body).unwrap_or(Value::Null);
        assert!(v["code"].is_string(), "{what}: {body}");
        for c in &values {
            assert!(!body.contains(c.as_str()), "{what}: canary {c} in {body}");
        }
    }
    let metrics = app.get("/metrics", &Auth::None).await.text;
    for c in &values {
        assert!(!metrics.contains(c.as_str()), "canary {c} in /metrics");
    }

    let mut raw = app.raw().await;
    let rows = sqlx::query("SELECT body, receipt FROM ledger_entries ORDER BY seq")
        .fetch_all(&mut raw)
        .await
        .unwrap();
    assert!(rows.len() > 10);
    for row in &rows {
        let body: Vec<u8> = row.try_get("body").unwrap();
        let receipt: Vec<u8> = row.try_get("receipt").unwrap();
        for bytes in [&body, &receipt] {
            let text = String::from_utf8_lossy(bytes);
            for c in &values {
                assert!(
                    !text.contains(c.as_str()),
                    "canary {c} in a ledger entry: {text}"
                );
            }
        }
    }
    app.stop().await;
}

on_both_backends!(canary_values_reach_neither_the_ledger_nor_any_error_body);
