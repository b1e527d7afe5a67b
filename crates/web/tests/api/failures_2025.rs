//! Each documented 2025–2026 failure (RULES.md "What went wrong") is refused through the API.

use serde_json::{Value, json};

use crosscheck_contract::Subject;
use crosscheck_web::demo;

use crate::helpers::{Backend, TestApp, shared};

/// A subject naming a real taxpayer (name and TIN from the imported extract) with the
/// address fields given.
fn real_taxpayer(
    id: &str,
    nth: usize,
    street: Option<&str>,
    city: Option<&str>,
    state: Option<&str>,
    zip: Option<&str>,
) -> Subject {
    let r = &shared().returns[nth * 7];
    Subject {
        subject_id: id.into(),
        given_name: Some(r.given_name.to_string()),
        middle_name: None,
        family_name: Some(r.family_name.to_string()),
        dob: r.dob.map(|d| d.to_string()),
        street: street.map(str::to_string),
        unit: None,
        city: city.map(str::to_string),
        state: state.map(str::to_string),
        zip: zip.map(str::to_string),
        tin: Some(r.tin.to_string()),
    }
}

fn reasons(view: &Value, position: usize) -> Vec<String> {
    view["subjects"][position]["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect()
}

fn findings(view: &Value) -> Vec<String> {
    view["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["code"].as_str().unwrap().to_string())
        .collect()
}

async fn a_zip_code_or_placeholder_is_not_an_address_and_no_tin_only_path_exists(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let (c, s) = (Some("SPRINGFIELD"), Some("IL"));
    let bad = [
        (
            real_taxpayer(
                "FTP",
                1,
                Some("Failed to Provide 12345"),
                c,
                s,
                Some("12345"),
            ),
            "address_placeholder",
        ),
        (
            real_taxpayer("UNK", 2, Some("UNKNOWN ADDRESS"), c, s, Some("62704")),
            "address_placeholder",
        ),
        (
            real_taxpayer("ZIPONLY", 3, None, None, None, Some("62704")),
            "address_incomplete",
        ),
        (
            real_taxpayer("ZIPSTREET", 4, Some("62704"), c, s, Some("62704")),
            "address_street_incomplete",
        ),
        (
            real_taxpayer("ZEROS", 5, Some("12 ELM ST"), c, s, Some("00000")),
            "address_zip_all_zero",
        ),
        (
            real_taxpayer("NAMETIN", 6, None, None, None, None),
            "address_incomplete",
        ),
    ];
    let mut subjects: Vec<Subject> = bad.iter().map(|(s, _)| s.clone()).collect();
    subjects.extend(shared().filers(100, 3));
    let view = app.submit("ADDR-2025", &subjects).await;
    let id = view["id"].as_str().unwrap().to_string();
    assert_ne!(view["state"], "rejected", "good records go on: {view}");
    for (i, (_, code)) in bad.iter().enumerate() {
        assert_eq!(view["subjects"][i]["status"], "rejected", "{view}");
        let why = reasons(&view, i);
        assert!(why.contains(&code.to_string()), "record {i}: {why:?}");
        assert!(
            why.contains(&"no_tin_only_path".to_string()),
            "record {i}: {why:?}"
        );
    }
    // None of them reaches a reviewer or the matcher.
    let items = app.items_of(&id).await;
    assert!(
        items.iter().all(
            |(item, _)| item.rsplit('.').next().unwrap().parse::<usize>().unwrap() >= bad.len()
        ),
        "{items:?}"
    );
    let scored = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM subjects WHERE request_id = '{id}' AND position < {} AND outcome <> '-'",
            bad.len()
        ))
        .await;
    assert_eq!(scored, 0, "a rejected record was matched");

    // After review and release their answers carry reason codes only.
    let decisions = app.review_all(&id).await;
    let confirmed: Vec<u64> = decisions
        .iter()
        .filter(|(_, (d, _))| d == "confirm")
        .map(|(p, _)| *p)
        .collect();
    if !confirmed.is_empty() {
        app.release(&id, &confirmed).await.expect(200);
        let r = app
            .get(
                &format!("/api/requests/{id}/response"),
                &app.token("requester"),
            )
            .await;
        r.expect(200);
        let answer = r.json();
        for i in 0..bad.len() {
            let a = &answer["subjects"][i];
            assert_eq!(a["status"], "rejected", "{a}");
            assert_eq!(a.as_object().unwrap().len(), 3, "{a}");
        }
    }
    app.stop().await;
}

async fn one_official_attested_for_more_matters_than_allowed_holds_the_request_unmatched(
    backend: Backend,
) {
    let app = TestApp::spawn(backend).await;
    // The example agreement allows 50 matters per named official; the same recipient is on
    // both requests, 30 + 25 matters.
    let first = app.submit("MATTERS-1", &shared().filers(0, 30)).await;
    assert_ne!(first["state"], "held", "{first}");
    let second = app.submit("MATTERS-2", &shared().filers(30, 25)).await;
    let id = second["id"].as_str().unwrap().to_string();
    assert_eq!(second["state"], "held", "{second}");
    let held = second["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["code"] == "official_matters_over_limit")
        .unwrap_or_else(|| panic!("no official_matters_over_limit finding: {second}"));
    assert_eq!(held["rule"], 13);
    for s in second["subjects"].as_array().unwrap() {
        assert_eq!(s["status"], "held", "{s}");
    }
    assert!(
        app.items_of(&id).await.is_empty(),
        "a held request was queued"
    );
    let scored = app
        .scalar(&format!(
            "SELECT COUNT(*) FROM subjects WHERE request_id = '{id}' AND outcome <> '-'"
        ))
        .await;
    assert_eq!(scored, 0, "a held request was matched");
    // Nothing can be released meanwhile.
    let r = app.release(&id, &[]).await;
    assert!(r.status >= 400 && r.status < 500, "{}", r.text);
    assert_eq!(app.count("releases").await, 0);
    app.stop().await;
}

async fn a_file_level_approval_in_place_of_per_record_decisions_releases_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = app.decided_request("BULK-1", 60, 8).await;
    let confirmed = d.confirmed();
    // Every confirmed record plus one that is not (refuted, or beyond the request).
    let mut extra = confirmed.clone();
    extra.push(
        (0..d.subjects.len() as u64)
            .find(|p| !confirmed.contains(p))
            .unwrap_or(d.subjects.len() as u64),
    );
    let mut short = confirmed.clone();
    short.pop();

    let attempts = [
        (json!({"all": true}), 400),
        (json!({"approve": confirmed, "all": true}), 400),
        (json!({"approve": "all"}), 400),
        (json!({"approve": short}), 422),
        (json!({"approve": extra}), 422),
    ];
    for (body, status) in attempts {
        let r = app
            .post(
                &format!("/api/requests/{}/release", d.id),
                &app.token("officer"),
                &body,
            )
            .await;
        assert_eq!(r.status, status, "{body}: {}", r.text);
        assert!(r.json()["code"].is_string() && r.json()["message"].is_string());
        assert_eq!(app.count("releases").await, 0, "{body} released something");
        assert_eq!(app.request_view(&d.id).await["state"], "decided");
        app.get(
            &format!("/api/requests/{}/response", d.id),
            &app.token("requester"),
        )
        .await
        .expect(409);
    }
    // A request still in review cannot be released at all.
    let pending = app.submit("BULK-2", &shared().filers(70, 3)).await;
    if pending["state"] == "in_review" {
        let r = app.release(pending["id"].as_str().unwrap(), &[]).await;
        r.expect(409);
    }
    // Per-record approval of exactly the confirmed records releases.
    app.release(&d.id, &confirmed).await.expect(200);
    assert_eq!(app.count("releases").await, confirmed.len() as i64);
    app.stop().await;
}

async fn an_agency_under_a_court_order_hold_is_refused_and_nothing_is_released(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = app.decided_request("HOLD-1", 80, 6).await;
    let admin = app.token("admin");
    app.post(
        &format!("/api/admin/agencies/{}/hold", demo::AGENCY),
        &admin,
        &json!({"order_ref": "1:25-cv-03245 (D.D.C.) stay", "since": "2025-11-21"}),
    )
    .await
    .expect(200);

    let view = app.submit("HOLD-2", &shared().filers(90, 3)).await;
    assert_eq!(view["state"], "rejected", "{view}");
    assert!(
        findings(&view).contains(&"disclosures_suspended_by_court_order".to_string()),
        "{view}"
    );
    for i in 0..3 {
        assert_eq!(view["subjects"][i]["status"], "rejected");
        assert!(reasons(&view, i).contains(&"disclosures_suspended_by_court_order".to_string()));
    }
    assert!(app.items_of(view["id"].as_str().unwrap()).await.is_empty());

    // A request decided before the order is not released while it holds.
    let r = app.release(&d.id, &d.confirmed()).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(app.count("releases").await, 0);
    assert_eq!(app.request_view(&d.id).await["state"], "decided");

    // Lifting the hold lets the per-record release through.
    app.call(
        "DELETE",
        &format!("/api/admin/agencies/{}/hold", demo::AGENCY),
        &admin,
        &[],
        None,
    )
    .await
    .expect(200);
    app.release(&d.id, &d.confirmed()).await.expect(200);
    app.stop().await;
}

async fn an_agency_with_open_safeguard_findings_is_refused(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let d = app.decided_request("SAFE-1", 100, 6).await;
    let admin = app.token("admin");
    let agencies = app.get("/api/admin/agencies", &admin).await;
    agencies.expect(200);
    let mut agency = agencies.json()[0].clone();
    assert_eq!(agency["id"], demo::AGENCY);
    agency["safeguards"]["open_findings"] = json!(2);
    agency["safeguards"]["open_findings_with_accepted_plan"] = json!(0);
    app.put(
        &format!("/api/admin/agencies/{}", demo::AGENCY),
        &admin,
        &agency,
    )
    .await
    .expect(200);

    let view = app.submit("SAFE-2", &shared().filers(110, 3)).await;
    assert_eq!(view["state"], "rejected", "{view}");
    assert!(
        findings(&view).contains(&"safeguard_findings_without_plan".to_string()),
        "{view}"
    );
    assert!(app.items_of(view["id"].as_str().unwrap()).await.is_empty());
    let r = app.release(&d.id, &d.confirmed()).await;
    assert_eq!(r.status, 422, "{}", r.text);
    assert_eq!(app.count("releases").await, 0);
    app.stop().await;
}

on_both_backends!(
    a_zip_code_or_placeholder_is_not_an_address_and_no_tin_only_path_exists,
    one_official_attested_for_more_matters_than_allowed_holds_the_request_unmatched,
    a_file_level_approval_in_place_of_per_record_decisions_releases_nothing,
    an_agency_under_a_court_order_hold_is_refused_and_nothing_is_released,
    an_agency_with_open_safeguard_findings_is_refused,
);
