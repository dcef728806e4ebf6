//! TLS for outgoing HTTPS (reqwest): rustls with the aws-lc-rs provider the rest of the
//! platform already links (sqlx, the AWS SDK), instead of a second crypto library.

/// Make aws-lc-rs the process's rustls provider; call before building an HTTP client.
/// Calling it again, or after someone else installed one, does nothing.
pub fn ensure_provider() {
    let _ = rustls::crypto::aws_lc_rs::default_provider().install_default();
}
