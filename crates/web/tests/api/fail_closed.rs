//! Fail closed (RELIABILITY A5): when the ledger cannot be written, every endpoint that reads
//! or changes personal data answers 503 `audit_unavailable` and commits nothing; repairing
//! the ledger needs no restart.

use sqlx::{Connection, Executor};

use crosscheck_web::demo;

use crate::helpers::{Backend, Resp, TestApp, shared};

const TABLES: &[&str] = &[
    "requests",
    "subjects",
    "releases",
    "end_of_use",
    "official_matters",
    "sessions",
];

async fn snapshot(app: &TestApp, ledger: &str) -> Vec<(String, i64)> {
    let mut out = Vec::new();
    for t in TABLES {
        out.push((t.to_string(), app.count(t).await));
    }
    out.push(("ledger_entries".into(), app.count(ledger).await));
    out.push((
        "ledger_head.size".into(),
        app.scalar("SELECT size FROM ledger_head WHERE id = 1")
            .await,
    ));
    out
}

async fn rename(app: &TestApp, from: &str, to: &str) {
    let mut raw = app.raw().await;
    raw.execute(format!("ALTER TABLE {from} RENAME TO {to}").as_str())
        .await
        .expect("rename the ledger table");
    raw.close().await.expect("close");
}

#[track_caller]
fn refused(what: &str, r: &Resp) {
    assert_eq!(r.status, 503, "{what}: {}", r.text);
    let v = r.json();
    assert_eq!(v["code"], "audit_unavailable", "{what}: {}", r.text);
    assert_eq!(
        v.as_object().unwrap().keys().collect::<Vec<_>>(),
        ["code", "message"],
        "{what}: only the error"
    );
}

async fn without_a_writable_ledger_nothing_is_done_and_repair_needs_no_restart(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let decided = app.decided_request("FC-DEC", 0, 5).await;
    let released = app.decided_request("FC-REL", 5, 5).await;
    app.release(&released.id, &released.confirmed())
        .await
        .expect(200);
    let pending = app.submit("FC-REV", &shared().filers(10, 6)).await;
    let (item, reviewer) = app
        .items_of(pending["id"].as_str().unwrap())
        .await
        .into_iter()
        .next()
        .expect("an item in review");
    let new_subjects = shared().filers(20, 3);

    let before = snapshot(&app, "ledger_entries").await;
    rename(&app, "ledger_entries", "ledger_entries_away").await;

    let submit = app
        .submit_request(demo::request("FC-NEW", &new_subjects), "fc-new")
        .await;
    refused("submit", &submit);
    let open = app
        .get(&format!("/api/review/items/{item}"), &app.token(&reviewer))
        .await;
    refused("open a review item", &open);
    let release = app.release(&decided.id, &decided.confirmed()).await;
    refused("release", &release);
    let response = app
        .get(
            &format!("/api/requests/{}/response", released.id),
            &app.token("requester"),
        )
        .await;
    refused("read a response", &response);
    let login = app
        .post(
            "/api/login",
            &crate::helpers::Auth::None,
            &serde_json::json!({"user": "auditor", "password": app.password("auditor")}),
        )
        .await;
    refused("log in", &login);

    assert_eq!(
        snapshot(&app, "ledger_entries_away").await,
        before,
        "a change was committed without its ledger entry"
    );
    assert_eq!(app.request_view(&decided.id).await["state"], "decided");

    // Repair: the very next requests succeed, on the same server.
    rename(&app, "ledger_entries_away", "ledger_entries").await;
    app.submit_request(demo::request("FC-NEW", &new_subjects), "fc-new")
        .await
        .expect(201);
    app.get(&format!("/api/review/items/{item}"), &app.token(&reviewer))
        .await
        .expect(200);
    app.release(&decided.id, &decided.confirmed())
        .await
        .expect(200);
    app.get(
        &format!("/api/requests/{}/response", released.id),
        &app.token("requester"),
    )
    .await
    .expect(200);
    let verify = app
        .post(
            "/api/ledger/verify",
            &app.token("auditor"),
            &serde_json::json!({}),
        )
        .await;
    assert_eq!(verify.json()["ok"], true, "{}", verify.text);
    app.stop().await;
}

on_both_backends!(without_a_writable_ledger_nothing_is_done_and_repair_needs_no_restart);
