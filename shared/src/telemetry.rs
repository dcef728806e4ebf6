//! Logging: JSON lines with the request id under Lambda, readable lines locally.

/// Under Lambda: lambda_runtime's subscriber, which writes JSON when the function's log
/// format is JSON (as the CDK app sets it) and carries the invocation's request id.
pub fn init_lambda() {
    lambda_runtime::tracing::init_default_subscriber();
}

/// Locally: compact human-readable lines, `RUST_LOG` to filter (default info).
pub fn init_local() {
    init_local_with("info,sqlx=warn,aws=warn");
}

/// Locally, with a default filter for when `RUST_LOG` is not set (tests use `warn`).
pub fn init_local_with(default_filter: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default_filter));
    let _ = tracing_subscriber::fmt().compact().with_env_filter(filter).try_init();
}
