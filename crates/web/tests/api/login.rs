//! Login abuse (RELIABILITY D6): repeated wrong passwords for one user are throttled with 429
//! and Retry-After, the right password included, while other users log in as usual; unknown
//! and known users get the same answer.

use serde_json::json;

use crate::helpers::{Auth, Backend, TestApp};

async fn wrong_passwords_are_throttled_per_user_without_affecting_others(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let wrong = |user: &str| json!({"user": user, "password": "not the password at all"});
    let unknown = app
        .post("/api/login", &Auth::None, &wrong("nobody-here"))
        .await;
    let known = app
        .post("/api/login", &Auth::None, &wrong("reviewer-2"))
        .await;
    assert_eq!((unknown.status, known.status), (401, 401));
    assert_eq!(
        unknown.text, known.text,
        "known and unknown users answer alike"
    );
    for _ in 0..crosscheck_web::auth::LOGIN_FAILURES - 1 {
        app.post("/api/login", &Auth::None, &wrong("reviewer-2"))
            .await
            .expect(401);
    }
    let right = json!({"user": "reviewer-2", "password": app.password("reviewer-2")});
    let r = app.post("/api/login", &Auth::None, &right).await;
    r.expect(429);
    assert!(r.headers.get("retry-after").is_some());
    assert_eq!(r.json()["code"], "rate_limited");
    // Another user is not affected.
    app.login("reviewer-1").await;
    app.stop().await;
}

on_both_backends!(wrong_passwords_are_throttled_per_user_without_affecting_others);
