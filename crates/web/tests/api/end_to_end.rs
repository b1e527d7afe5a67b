//! The whole flow through the API: submit, match, per-record review, per-record release,
//! the requester's answer, ledger verification and the accounting of one disclosure.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crosscheck_web::demo;
use crosscheck_web::service::REVIEW_REASONS;

use crate::helpers::{Backend, TestApp, decide_by_truth, shared};
use crate::openapi::Spec;

/// Fields the demo agreement allows in a disclosure (rule 23).
const ALLOWED: &[&str] = &["street", "unit", "city", "state", "zip", "tax_year"];

async fn a_signed_request_is_matched_reviewed_released_and_accounted_for(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let data = shared();
    let mut subjects = data.filers(0, 14);
    subjects.extend(data.others(0, 6));
    assert_eq!(subjects.len(), 20);

    // Every body below is also checked against the published OpenAPI document.
    let spec = Spec::fetch(&app).await;

    // The requester submits a signed request with an Idempotency-Key.
    let request = demo::request("E2E-1", &subjects);
    spec.takes("POST", "/api/requests", &app.signed(request.clone()));
    let r = app.submit_request(request, "e2e-key-1").await;
    r.expect(201);
    let view = r.json();
    spec.answers("POST", "/api/requests", 201, &view);
    let id = view["id"].as_str().unwrap().to_string();
    assert_eq!(view["state"], "in_review", "{view}");
    assert_eq!(view["subjects"].as_array().unwrap().len(), 20);

    // Reviewers log in with their passwords and work their queues.
    let mut decided: BTreeMap<u64, (String, Value)> = BTreeMap::new();
    for reviewer in ["reviewer-1", "reviewer-2"] {
        let session = app.login(reviewer).await;
        let queue = app.get("/api/review/queue", &session).await;
        queue.expect(200);
        spec.answers("GET", "/api/review/queue", 200, &queue.json());
        for item in queue.json()["items"].as_array().unwrap() {
            if item["request_id"] != id.as_str() {
                continue;
            }
            let item_id = item["id"].as_str().unwrap();
            let opened = app
                .get(&format!("/api/review/items/{item_id}"), &session)
                .await;
            opened.expect(200);
            let v = opened.json();
            spec.answers("GET", "/api/review/items/{id}", 200, &v);
            assert!(v["found"]["best"]["evidence"].as_array().is_some(), "{v}");
            let (decision, reason) = decide_by_truth(&v);
            assert!(REVIEW_REASONS.contains(&reason));
            let body = json!({"decision": decision, "reason_code": reason});
            spec.takes("POST", "/api/review/items/{id}/decision", &body);
            app.post(
                &format!("/api/review/items/{item_id}/decision"),
                &session,
                &body,
            )
            .await
            .expect(204);
            decided.insert(
                item["position"].as_u64().unwrap(),
                (decision.to_string(), v),
            );
        }
    }
    let confirmed: Vec<u64> = decided
        .iter()
        .filter(|(_, (d, _))| d == "confirm")
        .map(|(p, _)| *p)
        .collect();
    assert!(
        !confirmed.is_empty(),
        "no synthetic filer was confirmed: {decided:?}"
    );
    assert_eq!(app.request_view(&id).await["state"], "decided");

    // The officer approves each confirmed record by position.
    spec.takes(
        "POST",
        "/api/requests/{id}/release",
        &json!({ "approve": confirmed }),
    );
    let released = app.release(&id, &confirmed).await;
    released.expect(200);
    spec.answers("POST", "/api/requests/{id}/release", 200, &released.json());

    // The requester reads the answer.
    let r = app
        .get(
            &format!("/api/requests/{id}/response"),
            &app.token("requester"),
        )
        .await;
    r.expect(200);
    let answer = r.json();
    spec.answers("GET", "/api/requests/{id}/response", 200, &answer);
    let answers = answer["subjects"].as_array().unwrap();
    assert_eq!(answers.len(), subjects.len());
    let mut disclosed_tin = None;
    for (position, (a, s)) in answers.iter().zip(&subjects).enumerate() {
        let position = position as u64;
        assert_eq!(a["subject_id"], s.subject_id.as_str());
        match decided.get(&position) {
            Some((d, item)) if d == "confirm" => {
                assert_eq!(a["status"], "disclosed", "{a}");
                let fields = a["fields"].as_object().unwrap();
                assert!(
                    fields.keys().all(|k| ALLOWED.contains(&k.as_str())),
                    "a field outside the allow-list: {a}"
                );
                assert_eq!(
                    a.as_object().unwrap().len(),
                    3,
                    "only status, subject_id, fields"
                );
                let last = &item["found"]["best"]["last_address"];
                assert_eq!(fields["street"], last["street"]);
                assert_eq!(fields["zip"], last["zip"]);
                disclosed_tin = Some(item["candidate"]["tin"].as_str().unwrap().to_string());
            }
            _ if a["status"] == "rejected" => {
                assert!(a["reasons"].as_array().is_some_and(|r| !r.is_empty()));
            }
            _ => {
                // Refuted, no match or no candidate: byte-identical apart from the id.
                assert_eq!(
                    serde_json::to_string(a).unwrap(),
                    format!(
                        r#"{{"status":"no_information","subject_id":"{}"}}"#,
                        s.subject_id
                    ),
                );
            }
        }
    }

    // The auditor verifies the ledger and finds the disclosure in the accounting.
    let auditor = app.token("auditor");
    let v = app.post("/api/ledger/verify", &auditor, &json!({})).await;
    v.expect(200);
    assert_eq!(v.json()["ok"], true, "{}", v.text);
    spec.answers("POST", "/api/ledger/verify", 200, &v.json());
    let tin = disclosed_tin.expect("one disclosure");
    let acc = app
        .post("/api/accounting/taxpayer", &auditor, &json!({ "tin": tin }))
        .await;
    acc.expect(200);
    let acc = acc.json();
    spec.takes("POST", "/api/accounting/taxpayer", &json!({ "tin": tin }));
    spec.answers("POST", "/api/accounting/taxpayer", 200, &acc);
    assert!(acc["disclosures"].as_u64().unwrap() >= 1, "{acc}");
    assert!(
        acc["entries"].to_string().contains(&id),
        "the accounting names the request: {acc}"
    );
    // A taxpayer nobody asked about has no disclosure.
    let other = app
        .post(
            "/api/accounting/taxpayer",
            &auditor,
            &json!({ "tin": "123-45-6789" }),
        )
        .await;
    assert_eq!(other.json()["disclosures"], 0);
    app.stop().await;
}

/// A request in which nothing is confirmed (non-filers, namesakes and relatives, every
/// candidate refuted) still reaches its requester: every answer is `no_information` or a
/// rejection, and nothing is disclosed.
async fn a_request_with_nothing_to_disclose_is_released_as_no_information(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let subjects = shared().others(0, 6);
    let view = app.submit("NONE-1", &subjects).await;
    let id = view["id"].as_str().unwrap().to_string();
    for (item, reviewer) in app.items_of(&id).await {
        app.post(
            &format!("/api/review/items/{item}/decision"),
            &app.token(&reviewer),
            &json!({"decision": "refute", "reason_code": "different_person", "note": "not them"}),
        )
        .await
        .expect(204);
    }
    app.release(&id, &[]).await.expect(200);
    assert_eq!(app.count("releases").await, 0);
    let r = app
        .get(
            &format!("/api/requests/{id}/response"),
            &app.token("requester"),
        )
        .await;
    r.expect(200);
    for s in r.json()["subjects"].as_array().unwrap() {
        let status = s["status"].as_str().unwrap();
        assert!(matches!(status, "no_information" | "rejected"), "{s}");
    }
    app.stop().await;
}

/// Ledger entries whose bytes name both `action` and `request`.
async fn entries_with(app: &TestApp, action: &str, request: &str) -> usize {
    use sqlx::Row;
    let mut raw = app.raw().await;
    let rows = sqlx::query("SELECT body FROM ledger_entries")
        .fetch_all(&mut raw)
        .await
        .expect("the ledger");
    rows.iter()
        .map(|r| String::from_utf8(r.get::<Vec<u8>, _>(0)).expect("UTF-8 entries"))
        .filter(|b| b.contains(&format!("\"{action}\"")) && b.contains(request))
        .count()
}

/// Two reviewers deciding the last two items at once still leave the request `decided`
/// (exactly once), and two officers releasing at once disclose each record exactly once.
async fn concurrent_last_decisions_and_concurrent_releases_settle_exactly_once(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let subjects = shared().filers(200, 12);
    let view = app.submit("RACE-1", &subjects).await;
    let id = view["id"].as_str().unwrap().to_string();
    let items = app.items_of(&id).await;
    assert!(
        items.len() >= 2,
        "need two items to race, got {}",
        items.len()
    );
    let decide = |item: String, reviewer: String| {
        let app = &app;
        async move {
            app.post(
                &format!("/api/review/items/{item}/decision"),
                &app.token(&reviewer),
                &json!({"decision": "confirm", "reason_code": "identity_confirmed", "note": "race"}),
            )
            .await
        }
    };
    let (last, rest) = items.split_at(2);
    for (item, reviewer) in rest {
        decide(item.clone(), reviewer.clone()).await.expect(204);
    }
    let (a, b) = tokio::join!(
        decide(last[0].0.clone(), last[0].1.clone()),
        decide(last[1].0.clone(), last[1].1.clone())
    );
    assert_eq!((a.status, b.status), (204, 204));
    assert_eq!(app.request_view(&id).await["state"], "decided");
    let decided = entries_with(&app, "request.decided", &id).await;
    assert_eq!(decided, 1, "the request was marked decided {decided} times");

    let approve: Vec<u64> = {
        let mut out = Vec::new();
        for p in 0..subjects.len() as u64 {
            let n = app
                .scalar(&format!(
                    "SELECT COUNT(*) FROM subjects WHERE request_id = '{id}' AND position = {p} AND state = 'confirmed'"
                ))
                .await;
            if n == 1 {
                out.push(p);
            }
        }
        out
    };
    let (r1, r2) = tokio::join!(app.release(&id, &approve), app.release(&id, &approve));
    let mut statuses = [r1.status, r2.status];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409], "{} / {}", r1.text, r2.text);
    assert_eq!(app.count("releases").await, approve.len() as i64);
    let disclosed = entries_with(&app, "release.disclosed", &id).await;
    assert_eq!(disclosed, approve.len());
    app.stop().await;
}

/// A request whose reviews all committed but whose `decided` transition did not (the ledger
/// failed in between) is settled by the release instead of waiting forever.
async fn a_request_left_in_review_after_its_last_decision_is_settled_by_the_release(
    backend: Backend,
) {
    use sqlx::Executor;
    let app = TestApp::spawn(backend).await;
    let d = app.decided_request("SETTLE-1", 120, 6).await;
    let mut raw = app.raw().await;
    raw.execute(
        format!(
            "UPDATE requests SET state = 'in_review' WHERE id = '{}'",
            d.id
        )
        .as_str(),
    )
    .await
    .unwrap();
    let _ = sqlx::Connection::close(raw).await;
    app.release(&d.id, &d.confirmed()).await.expect(200);
    assert_eq!(app.request_view(&d.id).await["state"], "released");
    assert_eq!(entries_with(&app, "request.decided", &d.id).await, 2);
    app.stop().await;
}

/// RULES 27: a released request whose recipient does not certify end of use in time is
/// escalated once — one ledger entry, on the officers' list — and leaves the list when the
/// recipient certifies.
async fn an_overdue_end_of_use_is_escalated_once_and_listed_until_certified(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = app.decided_request("EOU-1", 0, 4).await;
    app.release(&d.id, &d.confirmed()).await.expect(200);
    let officer = app.token("officer");
    let requester = app.token("requester");
    let listed = |r: &crate::helpers::Resp| -> Vec<String> {
        r.expect(200);
        r.json()["overdue"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["request_id"].as_str().unwrap().to_string())
            .collect()
    };
    let r = app.get("/api/end-of-use/overdue", &officer).await;
    assert!(listed(&r).is_empty(), "nothing is due yet: {}", r.text);

    // The demo agreement gives 90 days; a day after that the certification is overdue.
    let due = app.state.store.end_of_use(&d.id).await.unwrap().unwrap().0;
    assert_eq!(app.state.escalate_overdue(due - 1).await.unwrap(), 0);
    assert_eq!(
        app.state.escalate_overdue(due + 86_400_000).await.unwrap(),
        1
    );
    assert_eq!(
        app.state
            .escalate_overdue(due + 2 * 86_400_000)
            .await
            .unwrap(),
        0,
        "escalated once"
    );
    assert_eq!(entries_with(&app, "end_of_use.overdue", &d.id).await, 1);

    let r = app.get("/api/end-of-use/overdue", &officer).await;
    assert_eq!(listed(&r), vec![d.id.clone()]);
    Spec::generated().answers("GET", "/api/end-of-use/overdue", 200, &r.json());
    assert!(r.json()["overdue"][0]["escalated_ms"].is_i64());
    let r = app.get("/api/end-of-use/overdue", &requester).await;
    assert_eq!(listed(&r), vec![d.id.clone()], "the recipient sees its own");

    app.post(
        &format!("/api/requests/{}/end-of-use", d.id),
        &requester,
        &json!({"certification": "destroyed"}),
    )
    .await
    .expect(200);
    let r = app.get("/api/end-of-use/overdue", &officer).await;
    assert!(listed(&r).is_empty(), "certified: {}", r.text);
    assert_eq!(
        app.state
            .escalate_overdue(due + 3 * 86_400_000)
            .await
            .unwrap(),
        0
    );
    app.stop().await;
}

on_both_backends!(
    an_overdue_end_of_use_is_escalated_once_and_listed_until_certified,
    a_signed_request_is_matched_reviewed_released_and_accounted_for,
    a_request_left_in_review_after_its_last_decision_is_settled_by_the_release,
    concurrent_last_decisions_and_concurrent_releases_settle_exactly_once,
    a_request_with_nothing_to_disclose_is_released_as_no_information,
);
