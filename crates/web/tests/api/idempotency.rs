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

on_both_backends!(a_retry_with_the_same_key_and_body_returns_the_first_request);
