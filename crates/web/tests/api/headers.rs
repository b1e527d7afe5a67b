//! Security headers, TRACE, CSRF, cookies and the error format (RELIABILITY D4, D5).

use serde_json::json;

use crosscheck_web::demo;

use crate::helpers::{Auth, Backend, Resp, TestApp};

#[track_caller]
fn secure_headers(what: &str, r: &Resp) {
    let h = |name: &str| {
        r.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_else(|| panic!("{what} ({}): no {name} header", r.status))
            .to_string()
    };
    let csp = h("content-security-policy");
    assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
    for part in [
        "default-src 'self'",
        "frame-ancestors 'none'",
        "object-src 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(part), "{what}: CSP without {part}: {csp}");
    }
    assert_eq!(h("x-content-type-options"), "nosniff", "{what}");
    assert_eq!(h("referrer-policy"), "no-referrer", "{what}");
    assert_eq!(h("cache-control"), "no-store", "{what}");
    assert!(r.headers.get("server").is_none(), "{what}: a server header");
}

#[track_caller]
fn error_body(what: &str, r: &Resp) {
    let v = r.json();
    assert!(
        v["code"].is_string() && v["message"].is_string(),
        "{what}: error body without code and message: {}",
        r.text
    );
}

async fn every_answer_carries_the_security_headers_and_errors_have_a_code(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let requester = app.token("requester");
    let cases = [
        ("healthz", app.get("/healthz", &Auth::None).await, 200),
        ("list", app.get("/api/requests", &requester).await, 200),
        (
            "unauthenticated",
            app.get("/api/requests", &Auth::None).await,
            401,
        ),
        (
            "forbidden",
            app.get("/api/review/queue", &requester).await,
            403,
        ),
        (
            "unknown path",
            app.get("/api/no-such-thing", &requester).await,
            404,
        ),
        (
            "absent request",
            app.get("/api/requests/rq-0000000000000000", &requester)
                .await,
            404,
        ),
        (
            "malformed body",
            app.call(
                "POST",
                "/api/requests",
                &requester,
                &[("idempotency-key", "h-1")],
                Some(b"{not json".to_vec()),
            )
            .await,
            400,
        ),
        (
            "wrong method",
            app.call("DELETE", "/api/requests", &requester, &[], None)
                .await,
            405,
        ),
    ];
    for (what, r, status) in &cases {
        assert_eq!(r.status, *status, "{what}: {}", r.text);
        secure_headers(what, r);
        if *status >= 400 {
            error_body(what, r);
        }
        let ct = r
            .headers
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        assert!(
            ct.starts_with("application/json") || ct.contains("charset"),
            "{what}: content type {ct:?}"
        );
    }
    let trace = app.call("TRACE", "/healthz", &Auth::None, &[], None).await;
    assert_eq!(trace.status, 405);
    secure_headers("TRACE", &trace);
    let trace = app
        .call("TRACE", "/api/requests", &requester, &[], None)
        .await;
    assert_eq!(trace.status, 405);
    app.stop().await;
}

async fn a_session_change_without_its_csrf_token_is_refused_and_changes_nothing(backend: Backend) {
    let app = TestApp::spawn(backend).await;
    let login = app
        .post(
            "/api/login",
            &Auth::None,
            &json!({"user": "officer", "password": app.password("officer")}),
        )
        .await;
    login.expect(200);
    let cookie = login
        .headers
        .get("set-cookie")
        .and_then(|v| v.to_str().ok())
        .unwrap()
        .to_string();
    for attr in [
        "__Host-crosscheck=",
        "Secure",
        "HttpOnly",
        "SameSite=Strict",
        "Path=/",
    ] {
        assert!(cookie.contains(attr), "cookie without {attr}: {cookie}");
    }
    assert!(!cookie.contains("Domain"), "{cookie}");
    let Auth::Session { cookie, csrf } = app.login("officer").await else {
        unreachable!()
    };
    let csrf = csrf.unwrap();
    let hold = format!("/api/admin/agencies/{}/hold", demo::AGENCY);
    let body = json!({"order_ref": "csrf test", "since": "2026-01-01"})
        .to_string()
        .into_bytes();
    let no_token = Auth::Session {
        cookie: cookie.clone(),
        csrf: None,
    };
    let wrong_token = Auth::Session {
        cookie: cookie.clone(),
        csrf: Some("0".repeat(64)),
    };
    let good = Auth::Session {
        cookie: cookie.clone(),
        csrf: Some(csrf.clone()),
    };
    let ledger_before = app.count("ledger_entries").await;
    let attempts = [
        ("no token", &no_token, vec![]),
        ("wrong token", &wrong_token, vec![]),
        ("cross-site", &good, vec![("sec-fetch-site", "cross-site")]),
    ];
    for (what, auth, headers) in attempts {
        let r = app
            .call("POST", &hold, auth, &headers, Some(body.clone()))
            .await;
        assert_eq!(r.status, 403, "{what}: {}", r.text);
        assert_eq!(r.code(), "csrf_failed", "{what}");
        error_body(what, &r);
        secure_headers(what, &r);
    }
    let agencies = app.get("/api/admin/agencies", &good).await;
    agencies.expect(200);
    assert!(
        agencies.json()[0]["hold"].is_null(),
        "a refused change was made"
    );
    assert_eq!(app.count("ledger_entries").await, ledger_before);

    // A GET needs no token; the right token lets the change through.
    app.call("POST", &hold, &good, &[], Some(body.clone()))
        .await
        .expect(200);
    let agencies = app.get("/api/admin/agencies", &good).await;
    assert_eq!(agencies.json()[0]["hold"]["order_ref"], "csrf test");

    // After logout the cookie is dead.
    app.post("/api/logout", &good, &json!({})).await.expect(204);
    app.get("/api/admin/agencies", &good).await.expect(401);
    app.stop().await;
}

on_both_backends!(
    every_answer_carries_the_security_headers_and_errors_have_a_code,
    a_session_change_without_its_csrf_token_is_refused_and_changes_nothing,
);
