//! A retry with the same Idempotency-Key never creates a second request.

use crosscheck_web::demo;

use crate::helpers::{Backend, TestApp, shared};

async fn a_retry_with_the_same_key_and_body_returns_the_first_request(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let subjects = shared().filers(40, 3);
    let requests_before = app.count("requests").await;

    let first = app
        .submit_request(demo::request("IDEM-1", &subjects), "idem-key")
        .await;
    first.expect(201);
    let retry = app
        .submit_request(demo::request("IDEM-1", &subjects), "idem-key")
        .await;
    retry.expect(200);
    assert_eq!(first.json()["id"], retry.json()["id"]);
    assert_eq!(app.count("requests").await, requests_before + 1);

    // The same key for a different body is refused and creates nothing.
    let other = app
        .submit_request(demo::request("IDEM-2", &subjects), "idem-key")
        .await;
    other.expect(409);
    assert_eq!(other.code(), "idempotency_key_reused");
    assert_eq!(app.count("requests").await, requests_before + 1);
    let list = app.get("/api/requests", &app.token("requester")).await;
    assert_eq!(list.json()["requests"].as_array().unwrap().len(), 1);

    // Without a key nothing is created either.
    let body = app.signed(demo::request("IDEM-3", &subjects)).to_string();
    let none = app
        .call(
            "POST",
            "/api/requests",
            &app.token("requester"),
            &[],
            Some(body.into_bytes()),
        )
        .await;
    none.expect(400);
    assert_eq!(none.code(), "idempotency_key_required");
    assert_eq!(app.count("requests").await, requests_before + 1);
    app.stop().await;
}

/// The batch upload: subjects as CSV or JSON lines text under the same signature; a bad row
/// is named by its row number.
async fn a_batch_upload_as_csv_or_json_lines_is_one_signed_request(backend: Backend) {
    use crosscheck_web::demo;
    let app = TestApp::spawn(backend).await;
    let subjects = crate::helpers::shared().filers(0, 3);
    let request = demo::request("UPLOAD-1", &subjects);
    let signed = app.signed(request.clone());
    let columns = [
        "subject_id",
        "given_name",
        "middle_name",
        "family_name",
        "dob",
        "street",
        "unit",
        "city",
        "state",
        "zip",
        "tin",
        "reason",
        "case_number",
        "removal_order_date",
    ];
    let mut csv = columns.join(",") + "\n";
    let mut jsonl = String::new();
    for s in &request.subjects {
        let v = serde_json::to_value(s).unwrap();
        let cells: Vec<String> = columns
            .iter()
            .map(|c| {
                let cell = v[*c].as_str().unwrap_or("").replace('"', "\"\"");
                format!("\"{cell}\"")
            })
            .collect();
        csv.push_str(&(cells.join(",") + "\n"));
        jsonl.push_str(&(serde_json::to_string(s).unwrap() + "\n"));
    }
    let envelope = signed["request"]["envelope"].clone();
    let signature = signed["signature"].clone();
    for (key, field, text) in [
        ("up-csv", "subjects_csv", &csv),
        ("up-jsonl", "subjects_jsonl", &jsonl),
    ] {
        let body = serde_json::json!({"envelope": envelope, field: text, "signature": signature});
        let r = app
            .call(
                "POST",
                "/api/requests/batch",
                &app.token("requester"),
                &[("idempotency-key", key)],
                Some(body.to_string().into_bytes()),
            )
            .await;
        r.expect(201);
        assert_ne!(r.json()["state"], "rejected", "{}", r.text);
    }
    let bad = format!("{csv}\"S-x\",\"A\",\"\",\"B\",\"\",\"1 X ST\"\n");
    let body =
        serde_json::json!({"envelope": envelope, "subjects_csv": bad, "signature": signature});
    let r = app
        .call(
            "POST",
            "/api/requests/batch",
            &app.token("requester"),
            &[("idempotency-key", "up-bad")],
            Some(body.to_string().into_bytes()),
        )
        .await;
    // Either the short row is refused by name, or the signature no longer covers the subjects.
    assert!(
        r.status == 400 || r.json()["state"] == "rejected",
        "{}",
        r.text
    );
    if r.status == 400 {
        assert!(
            r.json()["message"].as_str().unwrap().contains("row 5"),
            "{}",
            r.text
        );
    }
    app.stop().await;
}

on_both_backends!(
    a_retry_with_the_same_key_and_body_returns_the_first_request,
    a_batch_upload_as_csv_or_json_lines_is_one_signed_request,
);
