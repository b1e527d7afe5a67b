//! One error type for the HTTP surface, with stable machine codes from one table.
//!
//! Caller errors (4xx) carry a specific message that names the defect in the request.
//! Our errors (5xx) carry a generic message and a correlation id; the detail goes only to the
//! log, and never contains personal data (store errors carry identifiers only).

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

/// Every error code the API can answer with, and its status. The OpenAPI document and
/// docs/api.md list them from here.
pub const CODES: &[(&str, u16, &str)] = &[
    (
        "invalid_request",
        400,
        "the body or a parameter is malformed; the message names it",
    ),
    (
        "idempotency_key_required",
        400,
        "state-changing intake needs an Idempotency-Key header",
    ),
    ("unauthenticated", 401, "no valid session or API token"),
    ("forbidden", 403, "the caller's role may not do this"),
    (
        "csrf_failed",
        403,
        "a session-authenticated change without the session's CSRF token",
    ),
    (
        "not_found",
        404,
        "no such object, or not one the caller may see (the two are identical)",
    ),
    (
        "method_not_allowed",
        405,
        "the path exists but not with this method (TRACE is never served)",
    ),
    (
        "conflict",
        409,
        "the object is not in a state that allows this",
    ),
    (
        "idempotency_key_reused",
        409,
        "the key was used for a different request",
    ),
    ("payload_too_large", 413, "the body exceeds the size limit"),
    (
        "unprocessable",
        422,
        "well-formed but refused; the message names the unmet element",
    ),
    (
        "rate_limited",
        429,
        "too many requests for this token; see Retry-After",
    ),
    ("internal", 500, "our error; quote the correlation id"),
    (
        "audit_unavailable",
        503,
        "the ledger cannot be written, so nothing was done",
    ),
    (
        "matching_unavailable",
        503,
        "the matching index is not loaded (no returns imported or no model)",
    ),
];

/// An API error: a stable code and a message for the caller.
#[derive(Debug)]
pub struct ApiError {
    code: &'static str,
    message: String,
    retry_after: Option<u64>,
}

/// The JSON body of every error.
#[derive(Serialize)]
pub struct ErrorBody {
    /// Stable machine code (see [`CODES`]).
    pub code: &'static str,
    /// Human-readable message (never personal data).
    pub message: String,
    /// Correlation id for 5xx errors.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub correlation_id: Option<String>,
}

impl ApiError {
    /// An error with `code` (one of [`CODES`]) and a message.
    pub fn new(code: &'static str, message: impl Into<String>) -> ApiError {
        debug_assert!(
            CODES.iter().any(|(c, _, _)| *c == code),
            "unknown code {code}"
        );
        ApiError {
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// 400 with a message naming the malformed field.
    pub fn invalid(message: impl Into<String>) -> ApiError {
        ApiError::new("invalid_request", message)
    }

    /// 404: not found, or not visible to the caller.
    pub fn not_found() -> ApiError {
        ApiError::new("not_found", "no such object")
    }

    /// 403.
    pub fn forbidden() -> ApiError {
        ApiError::new("forbidden", "your role may not do this")
    }

    /// 405: the path exists, the method does not.
    pub fn method_not_allowed() -> ApiError {
        ApiError::new(
            "method_not_allowed",
            "this method is not allowed on this path",
        )
    }

    /// 409 with a message.
    pub fn conflict(message: impl Into<String>) -> ApiError {
        ApiError::new("conflict", message)
    }

    /// 422 with a message.
    pub fn unprocessable(message: impl Into<String>) -> ApiError {
        ApiError::new("unprocessable", message)
    }

    /// 429 with a Retry-After in seconds.
    pub fn rate_limited(retry_after: u64) -> ApiError {
        ApiError {
            code: "rate_limited",
            message: "too many requests for this token".into(),
            retry_after: Some(retry_after),
        }
    }

    /// 500 for an internal failure; `detail` is logged, never sent.
    pub fn internal(detail: impl std::fmt::Display) -> ApiError {
        let id = hex::encode(&crosscheck_store::random_32()[..8]);
        tracing::error!(correlation_id = %id, error = %detail, "internal error");
        ApiError {
            code: "internal",
            message: id,
            retry_after: None,
        }
    }

    /// The stable code.
    pub fn code(&self) -> &'static str {
        self.code
    }

    fn status(&self) -> StatusCode {
        let code = CODES
            .iter()
            .find(|(c, _, _)| *c == self.code)
            .map_or(500, |(_, s, _)| *s);
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.code == "internal" {
            write!(f, "internal error (correlation id {})", self.message)
        } else {
            write!(f, "{}: {}", self.code, self.message)
        }
    }
}

impl From<crosscheck_store::StoreError> for ApiError {
    fn from(e: crosscheck_store::StoreError) -> ApiError {
        match e {
            crosscheck_store::StoreError::AuditUnavailable(inner) => {
                tracing::error!(error = %inner, "ledger append failed; request refused");
                ApiError::new(
                    "audit_unavailable",
                    "the ledger cannot be written, so nothing was done; try again later",
                )
            }
            other => ApiError::internal(other),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (message, correlation_id) = if self.code == "internal" {
            ("internal error".to_string(), Some(self.message))
        } else {
            (self.message, None)
        };
        let mut response = (
            status,
            Json(ErrorBody {
                code: self.code,
                message,
                correlation_id,
            }),
        )
            .into_response();
        if let Some(v) = self
            .retry_after
            .and_then(|secs| HeaderValue::from_str(&secs.to_string()).ok())
        {
            response.headers_mut().insert(header::RETRY_AFTER, v);
        }
        response
    }
}

/// Handler results.
pub type ApiResult<T> = Result<T, ApiError>;
