//! The review console over `Router::oneshot`: login with the double-submitted login token,
//! pages per role, CSRF on every form, the decision flow and its ledger entries, escaping.
//! The same flows in a real browser are in tests/browser at the repository root.

use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crosscheck_store::{Keys, Store};
use crosscheck_synth::SynthConfig;
use crosscheck_web::demo::{self, Accounts};
use crosscheck_web::matcher::Matcher;
use crosscheck_web::{AppState, Limits, router};

struct App {
    state: AppState,
    accounts: Accounts,
    request_id: String,
    _dir: tempfile::TempDir,
}

/// A gateway with the demo registry, a small synthetic extract and one request of twelve
/// subjects, gated and matched.
async fn app() -> App {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("crosscheck.db").display());
    let store = Store::open(&url, Keys::generate()).await.unwrap();
    let state = AppState::new(store, Limits::default()).unwrap();
    let accounts = demo::seed(&state, [7u8; 32], true).await.unwrap();
    let synth = crosscheck_synth::generate(&SynthConfig::sized(400, 40, 3));
    state
        .store
        .import_returns("operator:test", &synth.returns, |_| {})
        .await
        .unwrap();
    let model = Matcher::train(&synth.returns, &synth.subjects, 1);
    state.set_matcher(Matcher::build(&synth.returns, model));
    let request = demo::request("CASE-1", &synth.subjects[..12]);
    let signed = crosscheck_gateway::sign(request, &accounts.signer_key);
    let requester = state.caller_for("requester").await.unwrap();
    let (view, _) = state.submit(&requester, signed, "key-1").await.unwrap();
    App {
        state,
        accounts,
        request_id: view.id,
        _dir: dir,
    }
}

impl App {
    fn router(&self) -> Router {
        router(self.state.clone())
    }

    fn password(&self, user: &str) -> String {
        self.accounts
            .people
            .iter()
            .find(|(_, u, _)| u == user)
            .map(|(_, _, p)| p.clone())
            .unwrap()
    }

    async fn send(&self, request: Request<Body>) -> Page {
        let response = self.router().oneshot(request).await.unwrap();
        let status = response.status();
        let headers = response.headers().clone();
        let body = response.into_body().collect().await.unwrap().to_bytes();
        Page {
            status,
            headers,
            body: String::from_utf8_lossy(&body).into_owned(),
        }
    }

    /// Logs in through the console's form; returns the session.
    async fn login(&self, user: &str) -> Session {
        let form = self.get("/console/login", None).await;
        assert_eq!(form.status, StatusCode::OK);
        let login_cookie = form.cookie("__Host-crosscheck-login").unwrap();
        let token = form.hidden("login_token").unwrap();
        let body = format!(
            "login_token={token}&user={user}&password={}",
            self.password(user)
        );
        let response = self
            .send(
                Request::post("/console/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(
                        header::COOKIE,
                        format!("__Host-crosscheck-login={login_cookie}"),
                    )
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(response.status, StatusCode::SEE_OTHER, "{}", response.body);
        let cookie = response.cookie("__Host-crosscheck").unwrap();
        let mut home = self.get("/console", Some(&cookie)).await;
        if home.status == StatusCode::SEE_OTHER {
            home = self.get(&home.location(), Some(&cookie)).await;
        }
        let csrf = home.hidden("csrf_token").unwrap();
        Session { cookie, csrf }
    }

    async fn get(&self, path: &str, session: Option<&str>) -> Page {
        let mut b = Request::get(path);
        if let Some(c) = session {
            b = b.header(header::COOKIE, format!("__Host-crosscheck={c}"));
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    async fn post(&self, path: &str, session: &Session, form: &str) -> Page {
        self.send(
            Request::post(path)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(
                    header::COOKIE,
                    format!("__Host-crosscheck={}", session.cookie),
                )
                .body(Body::from(form.to_string()))
                .unwrap(),
        )
        .await
    }

    async fn ledger_actions(&self) -> Vec<(String, String, String)> {
        self.state
            .store
            .decoded_entries()
            .await
            .unwrap()
            .into_iter()
            .map(|e| (e.actor, e.action, e.outcome))
            .collect()
    }

    async fn open_items(&self, reviewer: &str) -> Vec<String> {
        self.state
            .store
            .queue(reviewer, "in_review")
            .await
            .unwrap()
            .iter()
            .map(|s| format!("{}.{}", s.request_id, s.position))
            .collect()
    }
}

struct Session {
    cookie: String,
    csrf: String,
}

struct Page {
    status: StatusCode,
    headers: axum::http::HeaderMap,
    body: String,
}

impl Page {
    fn cookie(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next())
            .filter_map(|c| c.split_once('='))
            .find(|(k, v)| *k == name && !v.is_empty())
            .map(|(_, v)| v.to_string())
    }

    fn hidden(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let at = self.body.find(&marker)? + marker.len();
        let end = self.body[at..].find('"')?;
        Some(self.body[at..at + end].to_string())
    }

    fn location(&self) -> String {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
}

/// A reviewer with at least one open item in the demo request (items are dealt round robin).
async fn reviewer_with_items(app: &App) -> String {
    for r in ["reviewer-1", "reviewer-2"] {
        if !app.open_items(r).await.is_empty() {
            return r.to_string();
        }
    }
    panic!("the demo request put nothing in review");
}

#[tokio::test]
async fn pages_carry_no_inline_script_or_style_and_the_security_headers() {
    let app = app().await;
    let s = app.login("officer").await;
    let pages = [
        "/console/login".to_string(),
        "/console/requests".to_string(),
        format!("/console/requests/{}", app.request_id),
    ];
    for path in &pages {
        let p = app.get(path, Some(&s.cookie)).await;
        assert_eq!(p.status, StatusCode::OK, "{path}");
        assert!(
            p.headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .contains("charset=utf-8")
        );
        assert!(
            p.headers[header::CONTENT_SECURITY_POLICY]
                .to_str()
                .unwrap()
                .starts_with("default-src 'self'")
        );
        assert_eq!(p.headers[header::CACHE_CONTROL], "no-store");
        assert!(!p.body.contains("style=\""), "{path} has an inline style");
        assert!(!p.body.contains("<script>"), "{path} has an inline script");
        assert!(!has_event_handler(&p.body), "{path} has an event handler");
    }
    let js = app.get("/console/static/console.js", None).await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(
        js.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let css = app.get("/console/static/console.css", None).await;
    assert!(
        css.headers[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
}

/// Whether `html` has an attribute like ` onclick=`.
fn has_event_handler(html: &str) -> bool {
    html.match_indices(" on").any(|(i, _)| {
        let rest = &html[i + 3..];
        let name_len = rest.bytes().take_while(u8::is_ascii_lowercase).count();
        name_len > 0 && rest[name_len..].starts_with('=')
    })
}

#[tokio::test]
async fn login_needs_the_form_token_and_the_right_password() {
    let app = app().await;
    // No login token: refused before the password is looked at.
    let p = app
        .send(
            Request::post("/console/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .body(Body::from(format!(
                    "user=officer&password={}",
                    app.password("officer")
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert!(p.body.contains("Form refused"));
    assert!(p.cookie("__Host-crosscheck").is_none());
    // Wrong password: the form again, 401, and a failed login in the ledger.
    let form = app.get("/console/login", None).await;
    let p = app
        .send(
            Request::post("/console/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(
                    header::COOKIE,
                    format!(
                        "__Host-crosscheck-login={}",
                        form.cookie("__Host-crosscheck-login").unwrap()
                    ),
                )
                .body(Body::from(format!(
                    "login_token={}&user=officer&password=wrong",
                    form.hidden("login_token").unwrap()
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(p.status, StatusCode::UNAUTHORIZED);
    assert!(p.body.contains("Unknown user or wrong password"));
    let failed = app
        .state
        .store
        .decoded_entries()
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.action == "auth.login" && e.outcome == "failed")
        .expect("a failed login is a ledger entry");
    assert_eq!(failed.actor, "anonymous");
    assert!(
        failed.objects.is_empty(),
        "the typed user name is not in clear"
    );
    assert!(failed.personal.contains_key("user"));
    assert_ne!(failed.personal["user"], "officer");
    // Unauthenticated page views go to the login form.
    let p = app.get("/console/queue", None).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    assert_eq!(p.location(), "/console/login");
}

#[tokio::test]
async fn logout_needs_the_csrf_token_and_ends_the_session() {
    let app = app().await;
    let s = app.login("auditor").await;
    let p = app.post("/console/logout", &s, "").await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/console/audit", Some(&s.cookie)).await.status,
        StatusCode::OK
    );
    let p = app
        .post("/console/logout", &s, &format!("csrf_token={}", s.csrf))
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let after = app.get("/console/audit", Some(&s.cookie)).await;
    assert_eq!(after.location(), "/console/login");
}

#[tokio::test]
async fn a_reviewer_sees_their_queue_oldest_first_with_counts_and_filters() {
    let app = app().await;
    let reviewer = reviewer_with_items(&app).await;
    let open = app.open_items(&reviewer).await;
    let s = app.login(&reviewer).await;
    let home = app.get("/console", Some(&s.cookie)).await;
    assert_eq!(home.location(), "/console/queue");
    let q = app.get("/console/queue", Some(&s.cookie)).await;
    assert_eq!(q.status, StatusCode::OK);
    assert!(
        q.body
            .contains(&format!("<dd id=\"count-open\">{}</dd>", open.len()))
    );
    for id in &open {
        assert!(q.body.contains(&format!("/console/items/{id}")), "{id}");
    }
    // Request order within the one request: by position.
    let first = q
        .body
        .find(&format!("/console/items/{}\"", open[0]))
        .unwrap();
    if let Some(second) = open.get(1) {
        assert!(q.body.find(&format!("/console/items/{second}\"")).unwrap() > first);
    }
    let none = app
        .get("/console/queue?outcome=no_such_outcome", Some(&s.cookie))
        .await;
    assert!(none.body.contains("No open items match these filters"));
    let by_request = app
        .get(
            &format!("/console/queue?request={}", app.request_id),
            Some(&s.cookie),
        )
        .await;
    assert!(by_request.body.contains(&open[0]));
}

#[tokio::test]
async fn the_decision_page_shows_fields_evidence_and_history_and_records_the_opening() {
    let app = app().await;
    let reviewer = reviewer_with_items(&app).await;
    let item = app.open_items(&reviewer).await[0].clone();
    let s = app.login(&reviewer).await;
    let p = app
        .get(&format!("/console/items/{item}"), Some(&s.cookie))
        .await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    for needle in [
        "Subject and candidate, field by field",
        "<svg class=\"waterfall\"",
        "match weight",
        "Runner-up",
        "address by tax year",
        "name=\"reason_code\"",
        "identity_confirmed",
        "different_person",
        "id=\"confirm\"",
        "id=\"reject\"",
    ] {
        assert!(p.body.contains(needle), "missing {needle}");
    }
    assert!(
        app.ledger_actions()
            .await
            .iter()
            .any(|(a, action, _)| a == &reviewer && action == "review.opened")
    );
}

#[tokio::test]
async fn decisions_need_the_csrf_token_and_are_ledger_entries() {
    let app = app().await;
    let reviewer = reviewer_with_items(&app).await;
    let open = app.open_items(&reviewer).await;
    let item = open[0].clone();
    let s = app.login(&reviewer).await;
    let other = app.login(&reviewer).await;
    let before = app.ledger_actions().await.len();
    let path = format!("/console/items/{item}/decision");
    let form = "decision=confirm&reason_code=identity_confirmed&note=";
    // No token, a wrong token, a header instead of the field, the right token from another
    // site: 403 and nothing changes.
    let with_token = format!("{form}&csrf_token={}", s.csrf);
    for (body, header) in [
        (form.to_string(), None),
        (format!("{form}&csrf_token=00"), None),
        (form.to_string(), Some(("x-csrf-token", s.csrf.as_str()))),
        (with_token.clone(), Some(("sec-fetch-site", "cross-site"))),
    ] {
        let mut b = Request::post(path.as_str())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("__Host-crosscheck={}", s.cookie));
        if let Some((name, value)) = header {
            b = b.header(name, value);
        }
        let p = app.send(b.body(Body::from(body)).unwrap()).await;
        assert_eq!(p.status, StatusCode::FORBIDDEN);
        assert!(p.body.contains("Form refused"));
    }
    // A token from another session is refused too.
    let p = app
        .post(&path, &s, &format!("{form}&csrf_token={}", other.csrf))
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
    assert_eq!(app.ledger_actions().await.len(), before);
    assert_eq!(app.open_items(&reviewer).await, open);

    let p = app
        .post(&path, &s, &format!("{form}&csrf_token={}", s.csrf))
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    match open.get(1) {
        Some(next) => assert_eq!(p.location(), format!("/console/items/{next}")),
        None => assert!(p.location().starts_with("/console/queue?done=")),
    }
    assert!(app.ledger_actions().await.contains(&(
        reviewer.clone(),
        "review.decided".into(),
        "confirm: identity_confirmed".into()
    )));
    // An unknown reason code is refused with the list.
    if let Some(next) = open.get(1) {
        let p = app
            .post(
                &format!("/console/items/{next}/decision"),
                &s,
                &format!("decision=refute&reason_code=because&csrf_token={}", s.csrf),
            )
            .await;
        assert_eq!(p.status, StatusCode::BAD_REQUEST);
        assert!(p.body.contains("reason_code must be one of"));
    }
}

#[tokio::test]
async fn hostile_text_is_escaped_on_every_page() {
    let app = app().await;
    let reviewer = reviewer_with_items(&app).await;
    let item = app.open_items(&reviewer).await[0].clone();
    let s = app.login(&reviewer).await;
    let hostile = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>";
    let note: String = url_encode(hostile);
    let p = app
        .post(
            &format!("/console/items/{item}/decision"),
            &s,
            &format!(
                "decision=refute&reason_code=different_person&note={note}&csrf_token={}",
                s.csrf
            ),
        )
        .await;
    assert_eq!(p.status, StatusCode::SEE_OTHER);
    let page = app
        .get(&format!("/console/items/{item}"), Some(&s.cookie))
        .await;
    assert!(
        page.body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
    );
    assert!(!page.body.contains("<script>alert"));
    assert!(!page.body.contains("<img src=x"));
    let done = app
        .get(
            &format!("/console/queue?done={}", url_encode(hostile)),
            Some(&s.cookie),
        )
        .await;
    assert!(!done.body.contains("<script>alert"));
    assert!(!done.body.contains("<img src=x"));
}

fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

#[tokio::test]
async fn a_reviewer_cannot_open_another_reviewers_items() {
    let app = app().await;
    let mine = app.open_items("reviewer-1").await;
    let theirs = app.open_items("reviewer-2").await;
    if mine.is_empty() || theirs.is_empty() {
        return; // round robin gave everything to one reviewer; nothing to cross
    }
    let s = app.login("reviewer-1").await;
    let p = app
        .get(&format!("/console/items/{}", theirs[0]), Some(&s.cookie))
        .await;
    assert_eq!(p.status, StatusCode::NOT_FOUND);
    let q = app.get("/console/queue", Some(&s.cookie)).await;
    // The exact link: `rq-….1` is a prefix of this reviewer's own `rq-….10`.
    assert!(!q.body.contains(&format!("/console/items/{}\"", theirs[0])));
    assert!(q.body.contains(&format!("/console/items/{}\"", mine[0])));
}

#[tokio::test]
async fn a_requester_is_offered_no_way_to_taxpayer_data() {
    let app = app().await;
    let s = app.login("requester").await;
    let home = app.get("/console", Some(&s.cookie)).await;
    assert_eq!(home.location(), "/console/requests");
    let list = app.get("/console/requests", Some(&s.cookie)).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains("/console/queue"));
    assert!(!list.body.contains("/console/audit"));
    assert!(!list.body.contains("/console/items/"));
    let page = app
        .get(
            &format!("/console/requests/{}", app.request_id),
            Some(&s.cookie),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Status of each subject"));
    for forbidden in [
        "Batch dashboard",
        "Weight",
        "/console/items/",
        "Envelope",
        "reviewer-",
    ] {
        assert!(
            !page.body.contains(forbidden),
            "requester page shows {forbidden}"
        );
    }
    let item = app
        .open_items("reviewer-1")
        .await
        .into_iter()
        .chain(app.open_items("reviewer-2").await)
        .next()
        .unwrap();
    assert_eq!(
        app.get("/console/queue", Some(&s.cookie)).await.status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        app.get(&format!("/console/items/{item}"), Some(&s.cookie))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/console/audit", Some(&s.cookie)).await.status,
        StatusCode::FORBIDDEN
    );
    let p = app
        .post(
            "/console/audit/taxpayer",
            &s,
            &format!("tin=123-45-6789&csrf_token={}", s.csrf),
        )
        .await;
    assert_eq!(p.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_officer_sees_the_dashboard_and_releases_record_by_record() {
    let app = app().await;
    let s = app.login("officer").await;
    let p = app
        .get(
            &format!("/console/requests/{}", app.request_id),
            Some(&s.cookie),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    for needle in [
        "Batch dashboard",
        "<svg class=\"histogram\"",
        "<progress",
        "Envelope",
        "Gate findings by rule",
        "8 U.S.C. § 1253(a)(1)",
    ] {
        assert!(p.body.contains(needle), "missing {needle}");
    }
    // Decide every open item (half confirmed), then release with one approval per record.
    let mut confirmed = Vec::new();
    for r in ["reviewer-1", "reviewer-2"] {
        let caller = app.state.caller_for(r).await.unwrap();
        for (i, item) in app.open_items(r).await.iter().enumerate() {
            let decision = if i % 2 == 0 { "confirm" } else { "refute" };
            app.state
                .decide_item(&caller, item, decision, "identity_confirmed", "")
                .await
                .unwrap();
            if decision == "confirm" {
                confirmed.push(item.rsplit_once('.').unwrap().1.to_string());
            }
        }
    }
    let p = app
        .get(
            &format!("/console/requests/{}", app.request_id),
            Some(&s.cookie),
        )
        .await;
    assert!(p.body.contains("id=\"release\""), "release form expected");
    assert!(p.body.contains("100%"));
    let path = format!("/console/requests/{}/release", app.request_id);
    let mut form: String = confirmed.iter().map(|p| format!("approve={p}&")).collect();
    // Without the CSRF token: refused.
    assert_eq!(
        app.post(&path, &s, &form).await.status,
        StatusCode::FORBIDDEN
    );
    // Missing one approval: refused, naming the record.
    if let Some(last) = confirmed.last() {
        let partial: String = confirmed[..confirmed.len() - 1]
            .iter()
            .map(|p| format!("approve={p}&"))
            .collect();
        let p = app
            .post(&path, &s, &format!("{partial}csrf_token={}", s.csrf))
            .await;
        assert_eq!(p.status, StatusCode::UNPROCESSABLE_ENTITY);
        assert!(p.body.contains(last.as_str()));
    }
    form.push_str(&format!("csrf_token={}", s.csrf));
    let p = app.post(&path, &s, &form).await;
    assert_eq!(p.status, StatusCode::SEE_OTHER, "{}", p.body);
    let p = app
        .get(
            &format!("/console/requests/{}", app.request_id),
            Some(&s.cookie),
        )
        .await;
    assert!(
        p.body
            .contains("<strong id=\"request-state\">released</strong>")
    );
    let disclosures = app
        .ledger_actions()
        .await
        .iter()
        .filter(|(_, a, _)| a == "release.disclosed")
        .count();
    assert_eq!(disclosures, confirmed.len());

    // RULES 27: once the end-of-use certification is overdue, the requests page says so.
    let list = app.get("/console/requests", Some(&s.cookie)).await;
    assert!(!list.body.contains("End-of-use certification overdue"));
    let due = app
        .state
        .store
        .end_of_use(&app.request_id)
        .await
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(app.state.escalate_overdue(due + 1).await.unwrap(), 1);
    let list = app.get("/console/requests", Some(&s.cookie)).await;
    assert!(list.body.contains("End-of-use certification overdue"));
    let requester = app.login("requester").await;
    let list = app.get("/console/requests", Some(&requester.cookie)).await;
    assert!(
        list.body
            .contains("Certify destruction or continued safeguarding")
    );
}

#[tokio::test]
async fn the_auditor_verifies_the_ledger_and_searches_a_taxpayer_by_tin() {
    let app = app().await;
    let s = app.login("auditor").await;
    let p = app.get("/console/audit", Some(&s.cookie)).await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("Per agency and year"));
    assert!(p.body.contains(demo::AGENCY));
    assert!(p.body.contains("request.received"));
    let p = app
        .post(
            "/console/audit/verify",
            &s,
            &format!("csrf_token={}", s.csrf),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("The ledger verifies"), "{}", p.body);
    assert!(p.body.contains("Latest signed checkpoint"));
    // A TIN that was scored in the demo request has entries (match.scored carries its HMAC).
    let item = app
        .open_items("reviewer-1")
        .await
        .into_iter()
        .chain(app.open_items("reviewer-2").await)
        .next()
        .unwrap();
    let reviewer = if app.open_items("reviewer-1").await.contains(&item) {
        "reviewer-1"
    } else {
        "reviewer-2"
    };
    let caller = app.state.caller_for(reviewer).await.unwrap();
    let tin = app
        .state
        .open_item(&caller, &item)
        .await
        .unwrap()
        .candidate
        .unwrap()
        .tin;
    let p = app
        .post(
            "/console/audit/taxpayer",
            &s,
            &format!("tin={tin}&csrf_token={}", s.csrf),
        )
        .await;
    assert_eq!(p.status, StatusCode::OK);
    assert!(p.body.contains("match.scored"));
    assert!(
        !p.body.contains(&tin),
        "the page does not repeat the full TIN"
    );
    assert!(
        app.ledger_actions()
            .await
            .iter()
            .any(|(a, action, _)| a == "auditor" && action == "accounting.searched")
    );
    let p = app
        .post(
            "/console/audit/taxpayer",
            &s,
            &format!("tin=12&csrf_token={}", s.csrf),
        )
        .await;
    assert_eq!(p.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn hostile_subject_text_is_escaped_on_the_officer_and_decision_pages() {
    let app = app().await;
    let hostile = "<script>alert(1)</script>\"'><svg onload=alert(2)>";
    let synth = crosscheck_synth::generate(&SynthConfig::sized(400, 40, 3));
    let mut subjects = synth.subjects[..4].to_vec();
    for s in &mut subjects {
        s.subject_id = format!("{}{hostile}", s.subject_id);
        s.middle_name = Some(hostile.to_string());
    }
    let request = demo::request("CASE-2", &subjects);
    let signed = crosscheck_gateway::sign(request, &app.accounts.signer_key);
    let requester = app.state.caller_for("requester").await.unwrap();
    let (view, _) = app.state.submit(&requester, signed, "key-2").await.unwrap();
    let pages = [
        ("officer", format!("/console/requests/{}", view.id)),
        ("requester", format!("/console/requests/{}", view.id)),
    ];
    for (user, path) in pages {
        let s = app.login(user).await;
        let p = app.get(&path, Some(&s.cookie)).await;
        assert_eq!(p.status, StatusCode::OK, "{user} {path}");
        assert!(!p.body.contains("<script>alert"), "{user} {path}");
        assert!(!p.body.contains("<svg onload"), "{user} {path}");
        if user == "officer" {
            assert!(
                p.body.contains("&#60;script&#62;"),
                "the reference is shown, escaped"
            );
        }
    }
    let mut opened = 0;
    for reviewer in ["reviewer-1", "reviewer-2"] {
        let items: Vec<String> = app
            .open_items(reviewer)
            .await
            .into_iter()
            .filter(|i| i.starts_with(&view.id))
            .collect();
        if items.is_empty() {
            continue;
        }
        let s = app.login(reviewer).await;
        for item in items {
            let p = app
                .get(&format!("/console/items/{item}"), Some(&s.cookie))
                .await;
            assert_eq!(p.status, StatusCode::OK);
            assert!(
                p.body.contains("&#60;script&#62;"),
                "the text is shown, escaped"
            );
            assert!(!p.body.contains("<script>alert"));
            assert!(!p.body.contains("<svg onload"));
            opened += 1;
        }
    }
    assert!(opened > 0, "some hostile subjects reached a review queue");
}
