//! How people and systems reach crosscheck: the JSON API over HTTP (axum).
//!
//! - [`api`]: the route table, from which the router, the OpenAPI document and the
//!   authorization matrix are built; thin handlers (extract → service → respond).
//! - [`service`]: the flows — intake, gate, match, review, release, after-care — each a store
//!   transaction that records its ledger entries (no entry, no change).
//! - [`auth`]: API tokens and sessions, CSRF, Argon2id, the per-caller rate limit.
//! - [`matcher`]: the in-memory blocking index and model used online.
//! - [`error`]: stable error codes; [`openapi`]: the generated document.
//!
//! [`serve`] takes a bound listener and a shutdown future, so tests bind port 0.

pub mod api;
pub mod auth;
pub mod console;
pub mod demo;
pub mod error;
pub mod matcher;
pub mod openapi;
pub mod registry;
pub mod service;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, Method, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use tokio::net::TcpListener;

use crosscheck_policy::Authorizer;
use crosscheck_store::Store;

use crate::auth::Limiter;
use crate::error::ApiError;
use crate::matcher::Matcher;

/// Limits of the HTTP surface.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest request body accepted.
    pub body_bytes: usize,
    /// Requests per caller per minute.
    pub per_minute: u32,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            body_bytes: 32 * 1024 * 1024,
            per_minute: 6_000,
        }
    }
}

/// Counters exported at `/metrics`.
#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<String, u64>>,
    in_flight: AtomicU64,
}

impl Metrics {
    /// Adds one to `name`.
    pub fn inc(&self, name: &str) {
        let mut c = self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *c.entry(name.to_string()).or_insert(0) += 1;
    }

    /// Prometheus text format.
    pub fn render(&self) -> String {
        let c = self
            .counters
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut out = String::new();
        for (name, value) in c.iter() {
            let base = name.split('{').next().unwrap_or(name);
            out.push_str(&format!("# TYPE {base} counter\n{name} {value}\n"));
        }
        out.push_str(&format!(
            "# TYPE crosscheck_http_in_flight gauge\ncrosscheck_http_in_flight {}\n",
            self.in_flight.load(Ordering::Relaxed)
        ));
        out
    }
}

/// Everything a handler needs. Cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The shared state behind [`AppState`].
pub struct Inner {
    /// Where everything lives.
    pub store: Store,
    /// Authorization decisions.
    pub authz: Authorizer,
    /// The matcher, once an index is built.
    matcher: RwLock<Option<Arc<Matcher>>>,
    /// Counters.
    pub metrics: Metrics,
    /// Per-caller rate limit.
    pub limiter: Limiter,
    /// Failed logins per user name.
    pub login_failures: auth::LoginThrottle,
    /// Body size and rate limits.
    pub limits: Limits,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// State over `store` with the shipped policies.
    pub fn new(store: Store, limits: Limits) -> Result<AppState, crosscheck_policy::PolicyError> {
        Ok(AppState::with_authorizer(store, limits, Authorizer::new()?))
    }

    /// [`AppState::new`] with a given policy set (an operator's replacement, checked by
    /// [`Authorizer::from_text`]).
    pub fn with_authorizer(store: Store, limits: Limits, authz: Authorizer) -> AppState {
        AppState(Arc::new(Inner {
            store,
            authz,
            matcher: RwLock::new(None),
            metrics: Metrics::default(),
            limiter: Limiter::new(limits.per_minute),
            login_failures: auth::LoginThrottle::default(),
            limits,
        }))
    }

    /// The current matcher, if one is loaded.
    pub fn matcher(&self) -> Option<Arc<Matcher>> {
        self.matcher
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// Installs a matcher (after building the index from the store).
    pub fn set_matcher(&self, m: Matcher) {
        *self
            .matcher
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(Arc::new(m));
    }
}

/// Security headers on every response (RELIABILITY D5).
async fn headers(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched".to_string(), |p| p.as_str().to_string());
    let method = request.method().clone();
    let started = std::time::Instant::now();
    // TRACE is refused before routing, with the same headers as every other answer.
    let mut response = if method == Method::TRACE {
        ApiError::method_not_allowed().into_response()
    } else {
        state.metrics.in_flight.fetch_add(1, Ordering::Relaxed);
        let response = next.run(request).await;
        state.metrics.in_flight.fetch_sub(1, Ordering::Relaxed);
        response
    };
    state.metrics.inc(&format!(
        "crosscheck_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{}\"}}",
        response.status().as_u16()
    ));
    // The access log names the route pattern, never the concrete path or query (ids only,
    // but a query could carry anything a client typed).
    tracing::info!(
        target: "crosscheck::http",
        %method,
        route = %route,
        status = response.status().as_u16(),
        ms = started.elapsed().as_secs_f64() * 1e3,
        "request"
    );
    let h = response.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, k: HeaderName, v: &'static str| {
        h.insert(k, HeaderValue::from_static(v));
    };
    set(
        h,
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; frame-ancestors 'none'; object-src 'none'; base-uri 'none'; form-action 'self'",
    );
    set(h, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    set(h, header::REFERRER_POLICY, "no-referrer");
    set(
        h,
        HeaderName::from_static("cross-origin-opener-policy"),
        "same-origin",
    );
    set(h, header::X_FRAME_OPTIONS, "DENY");
    set(h, header::CACHE_CONTROL, "no-store");
    set(
        h,
        header::STRICT_TRANSPORT_SECURITY,
        "max-age=31536000; includeSubDomains",
    );
    response
}

/// The whole application router.
pub fn router(state: AppState) -> axum::Router {
    with_layers(api::router().merge(console::router()), state)
}

/// The fallbacks and layers every route gets: body limits, the headers and access log, and
/// a handler panic turned into the generic `internal` answer with a correlation id (the
/// panic's message, which could quote anything, goes to the log only as "a handler
/// panicked"); the server goes on serving (RELIABILITY D14).
fn with_layers(routes: axum::Router<AppState>, state: AppState) -> axum::Router {
    let limit = state.limits.body_bytes;
    routes
        .fallback(|| async { ApiError::not_found() })
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() })
        .layer(tower_http::limit::RequestBodyLimitLayer::new(limit))
        .layer(axum::extract::DefaultBodyLimit::max(limit))
        .layer(tower_http::catch_panic::CatchPanicLayer::custom(
            |_: Box<dyn std::any::Any + Send>| {
                ApiError::internal("a handler panicked").into_response()
            },
        ))
        .layer(middleware::from_fn_with_state(state.clone(), headers))
        .with_state(state)
}

/// The gateway's scheduled work, every `every` (and once at start): a signed checkpoint
/// (RULES 28–30: on a schedule as well as on demand, so an outside witness always has a
/// recent one) and the escalation of overdue end-of-use certifications (RULES 27). A failure
/// is logged and retried at the next tick.
pub fn spawn_housekeeping(
    state: AppState,
    every: std::time::Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(every);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match state.store.checkpoint().await {
                Ok(c) => tracing::info!(size = c.size, root = %c.root, "checkpoint issued"),
                Err(e) => tracing::error!(error = %e, "checkpoint failed"),
            }
            match state.escalate_overdue(state.store.now_ms()).await {
                Ok(0) => {}
                Ok(n) => tracing::warn!(escalated = n, "end-of-use certifications overdue"),
                Err(e) => tracing::error!(error = %e, "escalating overdue end of use failed"),
            }
        }
    })
}

/// Serves `state` on `listener` until `shutdown` completes.
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

#[cfg(test)]
mod tests {
    use axum::body::Body;
    use axum::http::StatusCode;
    use tower::ServiceExt;

    use super::*;

    /// RELIABILITY D14: a panicking handler answers the generic `internal` error with a
    /// correlation id and the security headers, never the panic's text, 1,000 times over, and
    /// the server still serves.
    #[tokio::test]
    async fn a_panicking_handler_answers_500_without_its_message_and_serving_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = Store::open(&url, crosscheck_store::Keys::generate())
            .await
            .unwrap();
        let state = AppState::new(store, Limits::default()).unwrap();
        let routes = api::router().route(
            "/panic",
            axum::routing::get(|| async {
                panic!("secret 123-45-6789 in a panic message");
                #[allow(unreachable_code)]
                ""
            }),
        );
        let app = with_layers(routes, state.clone());
        for _ in 0..1_000 {
            let r = app
                .clone()
                .oneshot(Request::get("/panic").body(Body::empty()).unwrap())
                .await
                .unwrap();
            assert_eq!(r.status(), StatusCode::INTERNAL_SERVER_ERROR);
            assert_eq!(r.headers()[header::CACHE_CONTROL], "no-store");
            let body = axum::body::to_bytes(r.into_body(), 1 << 16).await.unwrap();
            let v: serde_json::Value = serde_json::from_slice(&body).unwrap();
            assert_eq!(v["code"], "internal");
            assert!(!String::from_utf8_lossy(&body).contains("123-45-6789"));
        }
        assert_eq!(state.metrics.in_flight.load(Ordering::Relaxed), 0);
        let r = app
            .oneshot(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
}
