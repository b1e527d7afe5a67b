//! A requester never reaches taxpayer data: no body it can obtain carries a TIN, name or
//! street of the imported returns, except the allow-listed address disclosed for its own
//! released subjects.

use std::collections::BTreeSet;

use serde_json::json;

use crate::helpers::{Backend, TestApp, shared};

/// Whether `needle` occurs in `hay` as a whole word (case-sensitive).
fn occurs(hay: &str, needle: &str) -> bool {
    let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric());
    hay.match_indices(needle).any(|(i, _)| {
        !word(hay[..i].chars().next_back()) && !word(hay[i + needle.len()..].chars().next())
    })
}

/// Every run of nine digits in `text`, with or without SSN dashes.
fn nine_digit_runs(text: &str) -> Vec<String> {
    let digits_only: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_digit() || c == '-' {
                c
            } else {
                ' '
            }
        })
        .collect();
    digits_only
        .split_whitespace()
        .map(|t| t.replace('-', ""))
        .filter(|t| t.len() >= 9)
        .flat_map(|t| {
            (0..=t.len() - 9)
                .map(|i| t[i..i + 9].to_string())
                .collect::<Vec<_>>()
        })
        .collect()
}

async fn no_body_a_requester_can_obtain_carries_taxpayer_data(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let data = shared();
    let requester = app.token("requester");
    let mut subjects = data.filers(170, 10);
    subjects.extend(data.others(40, 5));
    let mut bodies = Vec::new();

    let view = app.submit("ISO-1", &subjects).await;
    bodies.push(view.to_string());
    let id = view["id"].as_str().unwrap().to_string();
    let probe = |path: String| {
        let app = &app;
        let requester = requester.clone();
        async move { app.get(&path, &requester).await.text }
    };
    bodies.push(probe("/api/requests".into()).await);
    bodies.push(probe(format!("/api/requests/{id}")).await);
    bodies.push(probe(format!("/api/requests/{id}/response")).await);
    bodies.push(probe("/api/review/queue".into()).await);
    let items = app.items_of(&id).await;
    for (item, _) in &items {
        let r = app
            .get(&format!("/api/review/items/{item}"), &requester)
            .await;
        assert_eq!(r.status, 404, "{}", r.text);
        bodies.push(r.text);
    }

    let decisions = app.review_all(&id).await;
    bodies.push(probe(format!("/api/requests/{id}")).await);
    bodies.push(probe(format!("/api/requests/{id}/response")).await);
    // Before release a requester cannot learn which records were confirmed.
    for approve in [json!([]), json!([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])] {
        let r = app
            .post(
                &format!("/api/requests/{id}/release"),
                &requester,
                &json!({ "approve": approve }),
            )
            .await;
        assert_eq!(r.status, 403, "{}", r.text);
        bodies.push(r.text);
    }
    for (path, body) in [
        ("/api/accounting/taxpayer", json!({"tin": "123-45-6789"})),
        ("/api/ledger/verify", json!({})),
    ] {
        bodies.push(app.post(path, &requester, &body).await.text);
    }

    let confirmed: Vec<u64> = decisions
        .iter()
        .filter(|(_, (d, _))| d == "confirm")
        .map(|(p, _)| *p)
        .collect();
    assert!(!confirmed.is_empty(), "{decisions:?}");
    app.release(&id, &confirmed).await.expect(200);
    bodies.push(probe("/api/requests".into()).await);
    bodies.push(probe(format!("/api/requests/{id}")).await);
    let answer = app
        .get(&format!("/api/requests/{id}/response"), &requester)
        .await;
    answer.expect(200);

    // What may appear: the disclosed fields of the requester's own released subjects.
    let answer = answer.json();
    let mut allowed = BTreeSet::new();
    for a in answer["subjects"].as_array().unwrap() {
        if a["status"] == "disclosed" {
            for v in a["fields"].as_object().unwrap().values() {
                allowed.insert(v.as_str().unwrap().to_string());
            }
        }
    }
    // What may not: the identity of every taxpayer near this request (the subjects' true
    // TINs and every candidate shown to a reviewer), and any TIN of the extract.
    let mut near: BTreeSet<String> = decisions.values().map(|(_, tin)| tin.clone()).collect();
    for s in &subjects {
        if let Some(t) = data.truth_of(&s.subject_id) {
            near.extend(t.tins.iter().cloned());
        }
    }
    let all_tins: BTreeSet<String> = data.returns.iter().map(|r| r.tin.digits()).collect();
    let mut secret = BTreeSet::new();
    for tin in near.iter().filter(|t| !t.is_empty()) {
        for r in data.returns_of(tin) {
            secret.insert(r.given_name.to_string());
            secret.insert(r.family_name.to_string());
            secret.insert(r.street.to_string());
            if let Some(e) = &r.employer_name {
                secret.insert(e.to_string());
            }
        }
    }
    secret.retain(|s| s.len() >= 2 && !allowed.contains(s));
    assert!(!secret.is_empty());

    bodies.push(answer.to_string());
    for body in &bodies {
        // The disclosed values themselves are allowed; look at everything else.
        let body = &allowed
            .iter()
            .fold(body.clone(), |b, a| b.replace(&format!("\"{a}\""), "\"\""));
        for run in nine_digit_runs(body) {
            assert!(
                !all_tins.contains(&run),
                "a TIN in a requester's body: {body}"
            );
        }
        for s in &secret {
            assert!(
                !occurs(body, s),
                "taxpayer value {s:?} in a requester's body: {body}"
            );
        }
    }
    app.stop().await;
}

on_both_backends!(no_body_a_requester_can_obtain_carries_taxpayer_data);
