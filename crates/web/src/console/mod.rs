//! The review console: server-rendered pages where custodian staff do their work.
//!
//! - [`review`]: a reviewer's queue and the decision page (subject and candidate side by side,
//!   the evidence as a waterfall, the runner-up, the address history, confirm or reject).
//! - [`officer`]: requests for the disclosure officer (envelope, gate findings, held
//!   decision, per-record release approval, batch dashboard); a requester sees only status.
//! - [`audit`]: accounting per taxpayer and per agency, checkpoints, ledger verification.
//!
//! Pages are askama templates (auto-escaped) under `console/templates`; the stylesheet and
//! the one script (keyboard shortcuts) are compiled into the binary and served from
//! `/console/static/`, so the CSP stays `default-src 'self'` with no inline script or style.
//!
//! Every authorization goes through the service methods or `state.authz`, as the JSON API's
//! does. Sessions are the API's (`__Host-crosscheck`); every state-changing form carries the
//! session's CSRF token in a hidden `csrf_token` field, which [`CsrfForm`] hands to the one
//! CSRF check there is (the [`Caller`] extractor's).

pub mod audit;
pub mod officer;
pub mod review;

use askama::Template;
use axum::Router;
use axum::extract::{FromRequest, FromRequestParts, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};

use crosscheck_policy::{Action, Role};

use crate::AppState;
use crate::auth::{Caller, SESSION_COOKIE, Via, new_secret};
pub use crate::auth::{allow, may};
use crate::error::{ApiError, ApiResult, CODES};
use crate::service::draft;

/// The pre-session cookie that carries the login form's CSRF token (double submit).
pub const LOGIN_COOKIE: &str = "__Host-crosscheck-login";

/// Largest form body the console reads.
const FORM_LIMIT: usize = 64 * 1024;

const CSS: &str = include_str!("static/console.css");
const JS: &str = include_str!("static/console.js");

/// The console's routes, merged into the application router.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(home))
        .route("/console/login", get(login_page).post(login))
        .route("/console/logout", post(logout))
        .route("/console/queue", get(review::queue))
        .route("/console/items/{id}", get(review::item))
        .route("/console/items/{id}/decision", post(review::decide))
        .route("/console/requests", get(officer::list))
        .route("/console/requests/{id}", get(officer::request))
        .route("/console/requests/{id}/held", post(officer::held))
        .route("/console/requests/{id}/release", post(officer::release))
        .route("/console/audit", get(audit::overview))
        .route("/console/audit/taxpayer", post(audit::taxpayer))
        .route("/console/audit/verify", post(audit::verify))
        .route("/console/static/console.css", get(css))
        .route("/console/static/console.js", get(js))
        .layer(middleware::from_fn(html_errors))
}

async fn css() -> Response {
    ([(header::CONTENT_TYPE, "text/css; charset=utf-8")], CSS).into_response()
}

async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8")],
        JS,
    )
        .into_response()
}

/// One link of the navigation bar.
pub struct NavLink {
    /// Target.
    pub href: &'static str,
    /// Text.
    pub label: &'static str,
    /// Whether it is the page shown.
    pub current: bool,
}

/// What every page shows around its content: who is logged in, their navigation, and the
/// session's CSRF token for the logout form.
pub struct Chrome {
    /// User id.
    pub user: String,
    /// Role, as a word.
    pub role: String,
    /// The session's CSRF token (empty for API-token callers, whose forms are refused).
    pub csrf: String,
    /// The links this role may follow.
    pub nav: Vec<NavLink>,
}

/// The page frame for `caller`, with `current` marked in the navigation.
pub async fn chrome(state: &AppState, caller: &Caller, current: &str) -> ApiResult<Chrome> {
    let csrf = match &caller.via {
        Via::Session(hash) => state
            .store
            .session(hash)
            .await?
            .map(|s| s.csrf)
            .unwrap_or_default(),
        Via::Token(_) => String::new(),
    };
    let mut nav = Vec::new();
    let mut link = |href: &'static str, label: &'static str| {
        nav.push(NavLink {
            href,
            label,
            current: href == current,
        });
    };
    if may(state, caller, Action::ReadQueue) {
        link("/console/queue", "Review queue");
    }
    if may(state, caller, Action::ListRequests) {
        link("/console/requests", "Requests");
    }
    if may(state, caller, Action::ReadAccounting) {
        link("/console/audit", "Audit");
    }
    Ok(Chrome {
        user: caller.user.id.clone(),
        role: caller.user.role.replace('_', " "),
        csrf,
        nav,
    })
}

/// Renders a template as an HTML response.
pub fn page(t: &impl Template) -> ApiResult<Response> {
    Ok(Html(t.render().map_err(ApiError::internal)?).into_response())
}

/// A 303 to `to` (after a form post).
pub fn see_other(to: &str) -> Response {
    Redirect::to(to).into_response()
}

/// A state-changing form post: the caller, authenticated with the CSRF token taken from the
/// form's `csrf_token` field (only from there: a header is ignored), and the form's fields.
pub struct CsrfForm {
    /// Who posted.
    pub caller: Caller,
    /// The fields in order (repeated names stay repeated, as checkboxes send them).
    pub fields: Vec<(String, String)>,
}

impl CsrfForm {
    /// The first value of `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        field(&self.fields, name)
    }

    /// The first value of `name`, trimmed, or "".
    pub fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or("").trim().to_string()
    }

    /// Every value of `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.fields
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .collect()
    }
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

async fn read_form(
    headers: &HeaderMap,
    body: axum::body::Body,
) -> ApiResult<Vec<(String, String)>> {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Err(ApiError::invalid(
            "console forms are sent as application/x-www-form-urlencoded",
        ));
    }
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .map_err(|_| ApiError::new("payload_too_large", "the form exceeds 64 KiB"))?;
    serde_urlencoded::from_bytes(&bytes).map_err(|_| ApiError::invalid("the form is malformed"))
}

impl FromRequest<AppState> for CsrfForm {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &AppState) -> Result<CsrfForm, ApiError> {
        let (mut parts, body) = request.into_parts();
        let fields = read_form(&parts.headers, body).await?;
        // The form field stands in for the header the Caller extractor checks; a header sent
        // alongside is dropped so the token must come from the form.
        parts.headers.remove("x-csrf-token");
        if let Some(v) = field(&fields, "csrf_token").and_then(|t| HeaderValue::from_str(t).ok()) {
            parts.headers.insert("x-csrf-token", v);
        }
        let caller = Caller::from_request_parts(&mut parts, state).await?;
        Ok(CsrfForm { caller, fields })
    }
}

/// Milliseconds since the epoch as `YYYY-MM-DD HH:MM UTC`.
pub fn when(ms: i64) -> String {
    let days = i32::try_from(ms.div_euclid(86_400_000)).unwrap_or(0);
    let minutes = ms.rem_euclid(86_400_000) / 60_000;
    let date = crosscheck_contract::Date::from_unix_days(days)
        .map_or_else(|| "?".to_string(), |d| d.to_string());
    format!("{date} {:02}:{:02} UTC", minutes / 60, minutes % 60)
}

// ---------------------------------------------------------------------------------------------
// Home, login, logout
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "home.html", config = "src/console/askama.toml")]
struct HomePage {
    chrome: Chrome,
}

async fn home(State(state): State<AppState>, caller: Caller) -> ApiResult<Response> {
    let to = match caller.principal.role {
        Role::Reviewer => "/console/queue",
        Role::DisclosureOfficer | Role::Requester => "/console/requests",
        Role::Auditor => "/console/audit",
        Role::Admin => {
            return page(&HomePage {
                chrome: chrome(&state, &caller, "/console").await?,
            });
        }
    };
    Ok(Redirect::to(to).into_response())
}

#[derive(Template)]
#[template(path = "login.html", config = "src/console/askama.toml")]
struct LoginPage {
    token: String,
    user: String,
    error: Option<String>,
}

fn login_form(status: StatusCode, user: &str, error: Option<String>) -> ApiResult<Response> {
    let token = new_secret();
    let cookie =
        format!("{LOGIN_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=900");
    let mut response = page(&LoginPage {
        token,
        user: user.to_string(),
        error,
    })?;
    *response.status_mut() = status;
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&cookie).map_err(ApiError::internal)?,
    );
    Ok(response)
}

async fn login_page() -> ApiResult<Response> {
    login_form(StatusCode::OK, "", None)
}

fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// Compares two secrets in time independent of where they first differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The login form's post: the double-submitted login token must match, then the password
/// is checked as the API's login does, and the same session cookie is set.
async fn login(State(state): State<AppState>, request: Request) -> ApiResult<Response> {
    let (parts, body) = request.into_parts();
    let fields = read_form(&parts.headers, body).await?;
    let cross_site = parts
        .headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v == "cross-site");
    let sent = field(&fields, "login_token").unwrap_or("");
    let expected = cookie(&parts.headers, LOGIN_COOKIE).unwrap_or("");
    if cross_site || expected.is_empty() || !same_secret(sent, expected) {
        return Err(ApiError::new(
            "csrf_failed",
            "the login form expired or did not come from this site; load it again",
        ));
    }
    let user_id = field(&fields, "user").unwrap_or("").trim().to_string();
    let password = field(&fields, "password").unwrap_or("").to_string();
    let Some(session) = state.log_in(&user_id, &password).await? else {
        return login_form(
            StatusCode::UNAUTHORIZED,
            &user_id,
            Some("Unknown user or wrong password.".into()),
        );
    };
    let token = session.token;
    let mut response = Redirect::to("/console").into_response();
    let h = response.headers_mut();
    let session = format!("{SESSION_COOKIE}={token}; Path=/; Secure; HttpOnly; SameSite=Strict");
    let clear = format!("{LOGIN_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
    for c in [session, clear] {
        h.append(
            header::SET_COOKIE,
            HeaderValue::from_str(&c).map_err(ApiError::internal)?,
        );
    }
    Ok(response)
}

async fn logout(State(state): State<AppState>, form: CsrfForm) -> ApiResult<Response> {
    let caller = form.caller;
    let mut tx = state.store.begin().await?;
    if let Via::Session(hash) = &caller.via {
        tx.end_session(hash).await?;
    }
    tx.record(draft(&caller.user.id, "auth.logout", &[], "ok"))
        .await?;
    tx.commit().await?;
    let mut response = Redirect::to("/console/login").into_response();
    let clear = format!("{SESSION_COOKIE}=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
    response.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&clear).map_err(ApiError::internal)?,
    );
    Ok(response)
}

// ---------------------------------------------------------------------------------------------
// Errors as pages
// ---------------------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "error.html", config = "src/console/askama.toml")]
struct ErrorPage {
    status: u16,
    code: String,
    title: String,
    message: String,
    correlation_id: Option<String>,
}

fn title_of(code: &str) -> String {
    match code {
        "unauthenticated" => "Please log in".into(),
        "forbidden" => "Not for your role".into(),
        "csrf_failed" => "Form refused".into(),
        "not_found" => "Not found".into(),
        "conflict" => "Not possible in this state".into(),
        "unprocessable" => "Refused".into(),
        "invalid_request" => "Invalid form".into(),
        "rate_limited" => "Too many requests".into(),
        "audit_unavailable" => "Ledger unavailable: nothing was done".into(),
        _ => CODES
            .iter()
            .find(|(c, _, _)| *c == code)
            .map_or("Error".into(), |(_, _, d)| (*d).to_string()),
    }
}

/// Turns the JSON error bodies of [`ApiError`] into pages (same status, same headers); an
/// unauthenticated page view goes to the login form.
async fn html_errors(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let response = next.run(request).await;
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    if response.status().as_u16() < 400 || !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let bytes = axum::body::to_bytes(body, FORM_LIMIT)
        .await
        .unwrap_or_default();
    let json: serde_json::Value = serde_json::from_slice(&bytes).unwrap_or_default();
    let code = json["code"].as_str().unwrap_or("internal").to_string();
    if code == "unauthenticated" && matches!(method, Method::GET | Method::HEAD) {
        return Redirect::to("/console/login").into_response();
    }
    let t = ErrorPage {
        status: parts.status.as_u16(),
        title: title_of(&code),
        message: json["message"].as_str().unwrap_or("").to_string(),
        correlation_id: json["correlation_id"].as_str().map(str::to_string),
        code,
    };
    let html = t
        .render()
        .unwrap_or_else(|_| "<!doctype html><title>Error</title><p>Error</p>".into());
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, axum::body::Body::from(html))
}
