//! Who is calling: agency systems with API tokens (`Authorization: Bearer …`), people with
//! sessions (`__Host-crosscheck` cookie, Argon2id passwords). Secrets are stored only as
//! hashes. A session-authenticated change must carry the session's CSRF token.

use std::time::{Duration, Instant};

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use sha2::{Digest, Sha256};

use crosscheck_policy::{Action, Principal, Resource, Role};
use crosscheck_store::registry::User;

use crate::AppState;
use crate::error::{ApiError, ApiResult};

/// The session cookie's name (`__Host-`: Secure, Path=/, no Domain).
pub const SESSION_COOKIE: &str = "__Host-crosscheck";
/// A session ends after this long without a request.
pub const IDLE_MS: i64 = 15 * 60 * 1000;
/// A session ends this long after login, whatever happens.
pub const ABSOLUTE_MS: i64 = 8 * 60 * 60 * 1000;

/// How the caller authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    /// An API token (its hash).
    Token(String),
    /// A session (its token's hash).
    Session(String),
}

/// An authenticated caller.
#[derive(Debug, Clone)]
pub struct Caller {
    /// The user record.
    pub user: User,
    /// The policy engine's view of them.
    pub principal: Principal,
    /// Token or session.
    pub via: Via,
}

/// SHA-256 hex of a bearer secret (tokens are 256-bit random: no salt or stretching needed).
pub fn secret_hash(secret: &str) -> String {
    hex::encode(Sha256::digest(secret.as_bytes()))
}

/// A fresh 256-bit secret, hex.
pub fn new_secret() -> String {
    hex::encode(crosscheck_store::random_32())
}

/// Argon2id PHC string of `password` (run on a blocking thread: it takes tens of ms).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let salt =
        SaltString::encode_b64(&crosscheck_store::random_32()[..16]).map_err(ApiError::internal)?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(ApiError::internal)
}

/// Whether `password` matches `phc`; with `None` a dummy hash is checked so unknown users
/// take as long as known ones (RELIABILITY D6).
pub fn verify_password(password: &str, phc: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy = DUMMY.get_or_init(|| hash_password("dummy password").unwrap_or_default());
    let (target, real) = match phc {
        Some(p) => (p, true),
        None => (dummy.as_str(), false),
    };
    let ok = PasswordHash::new(target)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    ok && real
}

fn principal_of(user: &User) -> Result<Principal, ApiError> {
    Ok(Principal {
        id: user.id.clone(),
        role: Role::parse(&user.role).map_err(ApiError::internal)?,
        agency: user.agency.clone(),
    })
}

fn cookie<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Caller, ApiError> {
        let unauthenticated = || ApiError::new("unauthenticated", "log in or present an API token");
        let bearer = parts
            .headers
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.strip_prefix("Bearer "));
        let caller = if let Some(token) = bearer {
            let hash = secret_hash(token.trim());
            let user = state
                .store
                .token_user(&hash)
                .await?
                .filter(|u| u.active)
                .ok_or_else(unauthenticated)?;
            Caller {
                principal: principal_of(&user)?,
                user,
                via: Via::Token(hash),
            }
        } else if let Some(token) = cookie(parts, SESSION_COOKIE) {
            let hash = secret_hash(token);
            let session = state
                .store
                .session(&hash)
                .await?
                .ok_or_else(unauthenticated)?;
            let now = state.store.now_ms();
            if now - session.seen_ms > IDLE_MS || now - session.created_ms > ABSOLUTE_MS {
                return Err(unauthenticated());
            }
            let user = state
                .store
                .user(&session.user_id)
                .await?
                .filter(|u| u.active)
                .ok_or_else(unauthenticated)?;
            if !matches!(parts.method, Method::GET | Method::HEAD) {
                let sent = parts
                    .headers
                    .get("x-csrf-token")
                    .and_then(|v| v.to_str().ok());
                let cross_site = parts
                    .headers
                    .get("sec-fetch-site")
                    .and_then(|v| v.to_str().ok())
                    .is_some_and(|v| v == "cross-site");
                if cross_site || sent != Some(session.csrf.as_str()) {
                    return Err(ApiError::new(
                        "csrf_failed",
                        "changes made with a session need the session's CSRF token",
                    ));
                }
            }
            state.store.touch_session(&hash, now).await?;
            Caller {
                principal: principal_of(&user)?,
                user,
                via: Via::Session(hash),
            }
        } else {
            return Err(unauthenticated());
        };
        state.limiter.check(&caller.user.id)?;
        Ok(caller)
    }
}

/// Failed logins allowed per user name within [`LOGIN_WINDOW`] before further attempts are
/// refused with 429 (RELIABILITY D6; the window expires, so the real user is never locked
/// out for good).
pub const LOGIN_FAILURES: u32 = 10;
/// The window of [`LOGIN_FAILURES`].
pub const LOGIN_WINDOW: Duration = Duration::from_secs(15 * 60);

/// A started session: the cookie value and its CSRF token.
pub struct NewSession {
    /// The session token (the cookie's value; stored only as its hash).
    pub token: String,
    /// The CSRF token changes must carry.
    pub csrf: String,
    /// Who logged in.
    pub user: User,
}

impl AppState {
    /// Logs `user_id` in with `password`: throttled per user name, Argon2id on a blocking
    /// thread (a dummy hash for unknown users, so both take as long), every attempt a ledger
    /// entry (the typed name only as an HMAC when it fails: it may be a mistyped password).
    /// `Ok(None)` for a wrong user or password.
    pub async fn log_in(
        &self,
        user_id: &str,
        password: &str,
    ) -> Result<Option<NewSession>, ApiError> {
        if let Some(wait) = self.login_failures.blocked(user_id) {
            return Err(ApiError::rate_limited(wait));
        }
        let user = self.store.user(user_id).await?;
        let phc = user
            .as_ref()
            .filter(|u| u.active)
            .and_then(|u| u.password_hash.clone());
        let typed = password.to_string();
        let ok = tokio::task::spawn_blocking(move || verify_password(&typed, phc.as_deref()))
            .await
            .map_err(ApiError::internal)?;
        let mut tx = self.store.begin().await?;
        let (Some(user), true) = (user, ok) else {
            let mut d = crate::service::draft("anonymous", "auth.login", &[], "failed");
            d.personal.insert("user".into(), user_id.to_string());
            tx.record(d).await?;
            tx.commit().await?;
            self.login_failures.failed(user_id);
            return Ok(None);
        };
        let now = self.store.now_ms();
        let session = NewSession {
            token: new_secret(),
            csrf: new_secret(),
            user,
        };
        tx.add_session(
            &secret_hash(&session.token),
            &crosscheck_store::registry::Session {
                user_id: session.user.id.clone(),
                csrf: session.csrf.clone(),
                created_ms: now,
                seen_ms: now,
            },
        )
        .await?;
        tx.record(crate::service::draft(
            &session.user.id,
            "auth.login",
            &[],
            "ok",
        ))
        .await?;
        tx.commit().await?;
        self.login_failures.succeeded(user_id);
        Ok(Some(session))
    }
}

/// Failed logins per user name in a sliding window.
#[derive(Default)]
pub struct LoginThrottle {
    failures: std::sync::Mutex<std::collections::HashMap<String, (Instant, u32)>>,
}

impl LoginThrottle {
    fn map(&self) -> std::sync::MutexGuard<'_, std::collections::HashMap<String, (Instant, u32)>> {
        self.failures
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Seconds to wait, if `user` is over the limit.
    pub fn blocked(&self, user: &str) -> Option<u64> {
        let map = self.map();
        let (since, n) = map.get(user)?;
        let elapsed = since.elapsed();
        (*n >= LOGIN_FAILURES && elapsed < LOGIN_WINDOW)
            .then(|| (LOGIN_WINDOW - elapsed).as_secs().max(1))
    }

    fn failed(&self, user: &str) {
        let mut map = self.map();
        let e = map.entry(user.to_string()).or_insert((Instant::now(), 0));
        if e.0.elapsed() >= LOGIN_WINDOW {
            *e = (Instant::now(), 0);
        }
        e.1 += 1;
    }

    fn succeeded(&self, user: &str) {
        self.map().remove(user);
    }
}

/// A fixed-window request limit per caller.
pub struct Limiter {
    per_minute: u32,
    windows: std::sync::Mutex<std::collections::HashMap<String, (Instant, u32)>>,
}

impl Limiter {
    /// At most `per_minute` requests per caller per minute.
    pub fn new(per_minute: u32) -> Limiter {
        Limiter {
            per_minute,
            windows: std::sync::Mutex::new(std::collections::HashMap::new()),
        }
    }

    /// Counts one request; 429 with Retry-After when over the limit.
    pub fn check(&self, who: &str) -> Result<(), ApiError> {
        let now = Instant::now();
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let w = windows.entry(who.to_string()).or_insert((now, 0));
        if now.duration_since(w.0) >= Duration::from_secs(60) {
            *w = (now, 0);
        }
        w.1 += 1;
        if w.1 > self.per_minute {
            let wait = 60u64
                .saturating_sub(now.duration_since(w.0).as_secs())
                .max(1);
            return Err(ApiError::rate_limited(wait));
        }
        Ok(())
    }
}

/// Whether the caller's role may do `action` on the system.
pub fn may(state: &AppState, caller: &Caller, action: Action) -> bool {
    state
        .authz
        .decide(&caller.principal, action, &Resource::System)
        .allowed
}

/// 403 unless the caller's role may do `action` on the system.
pub fn allow(state: &AppState, caller: &Caller, action: Action) -> ApiResult<()> {
    if may(state, caller, action) {
        Ok(())
    } else {
        Err(ApiError::forbidden())
    }
}

/// The agency whose requests `caller` may list (403 unless the policy lets them list): a
/// requester's own; `None` (every agency) for custodian staff.
pub fn listing_scope(state: &AppState, caller: &Caller) -> ApiResult<Option<String>> {
    allow(state, caller, Action::ListRequests)?;
    match caller.principal.role {
        Role::Requester => caller
            .principal
            .agency
            .clone()
            .map(Some)
            .ok_or_else(ApiError::forbidden),
        _ => Ok(None),
    }
}
