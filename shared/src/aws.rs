//! AWS SDK configuration shared by every client.
//!
//! aws-config reads `AWS_ENDPOINT_URL` (and the per-service `AWS_ENDPOINT_URL_<SERVICE>`)
//! itself, so locally every client talks to the moto server without code of ours.

use tokio::sync::OnceCell;

static SDK_CONFIG: OnceCell<aws_config::SdkConfig> = OnceCell::const_new();

/// The SDK configuration, loaded once per process (cold start).
pub async fn sdk_config() -> &'static aws_config::SdkConfig {
    SDK_CONFIG.get_or_init(|| aws_config::defaults(aws_config::BehaviorVersion::latest()).load()).await
}
