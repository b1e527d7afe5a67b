//! The gateway's integration tests: a real server on `127.0.0.1:0`, a real HTTP client, and a
//! fresh database per test. Every behavioural test runs on both backends (SQLite and
//! PostgreSQL at `CROSSCHECK_TEST_POSTGRES`, default `postgres://postgres@127.0.0.1:5432/test`);
//! a difference between them is a failing test.

/// Runs each named `async fn(Backend)` of the calling module once on SQLite and once on
/// PostgreSQL, as `sqlite::name` and `postgres::name`.
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::helpers::Backend::Sqlite).await
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(crate::helpers::Backend::Postgres).await
                }
            )*
        }
    };
}

mod authorization;
mod canary;
mod end_to_end;
mod fail_closed;
mod failures_2025;
mod headers;
mod helpers;
mod idempotency;
mod login;
mod openapi;
mod requester_isolation;
