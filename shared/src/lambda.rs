//! The Lambda entry: every binary's `main` is one call to [`serve`].
//!
//! `serve` is not generic, so lambda_http's and lambda_runtime's generic machinery is
//! compiled once here, not once per binary: a binary costs a link.

use aws_lambda_events::apigw::ApiGatewayV2CustomAuthorizerV2Request;
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::{BatchItemFailure, SqsBatchResponse, SqsEvent, SqsMessage};
use axum::Router;
use lambda_runtime::{LambdaEvent, service_fn};

use crate::app::App;
use crate::operation::{Handler, Operation};
use crate::telemetry;

pub type Result = std::result::Result<(), lambda_runtime::Error>;

/// Run one operation under the Lambda runtime until the sandbox is shut down.
pub fn serve(op: &'static Operation) -> Result {
    telemetry::init_lambda();
    // A Lambda sandbox handles one event at a time: one thread is enough.
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    runtime.block_on(async move {
        let app = App::from_env().await?;
        tracing::info!(operation = op.name, "cold start complete");
        match op.handler {
            Handler::Http { .. } => lambda_http::run(router(op, app)).await,
            Handler::Authorizer(decide) => {
                lambda_runtime::run(service_fn(move |event: LambdaEvent<ApiGatewayV2CustomAuthorizerV2Request>| {
                    let app = app.clone();
                    async move { Ok::<_, lambda_runtime::Error>(decide(app, event.payload).await) }
                }))
                .await
            }
            Handler::Sqs { run, .. } => {
                lambda_runtime::run(service_fn(move |event: LambdaEvent<SqsEvent>| {
                    let app = app.clone();
                    async move { Ok::<_, lambda_runtime::Error>(run(app, event.payload).await) }
                }))
                .await
            }
            Handler::Schedule { run, .. } => {
                lambda_runtime::run(service_fn(move |event: LambdaEvent<EventBridgeEvent<serde_json::Value>>| {
                    let app = app.clone();
                    async move { run(app, event.payload).await.map_err(lambda_runtime::Error::from) }
                }))
                .await
            }
        }
    })
}

/// The router that holds exactly this operation's route, with the common layers.
pub fn router(op: &Operation, app: App) -> Router {
    let mut router = Router::new();
    if let Some((path, _, route)) = op.method_router() {
        router = router.route(path, route);
    }
    with_common_layers(router.with_state(app.clone()), &app)
}

/// Layers every HTTP surface has, in Lambda and in the local fleet alike.
pub fn with_common_layers(router: Router, app: &App) -> Router {
    let origin: Option<std::sync::Arc<str>> = app.config.cors_allowed_origin.clone().map(Into::into);
    router
        .fallback(|| async { crate::error::ApiError::not_found("route") })
        .method_not_allowed_fallback(|| async {
            crate::error::ApiError::new(
                http::StatusCode::METHOD_NOT_ALLOWED,
                "METHOD_NOT_ALLOWED",
                "method not allowed",
            )
        })
        .layer(axum::middleware::from_fn_with_state(app.clone(), crate::outbox::publish_layer))
        .layer(axum::middleware::from_fn_with_state(origin, crate::http_policy::layer))
        .layer(axum::middleware::from_fn(crate::request_id::layer))
}

/// A FIFO batch handled in order: after the first failure nothing more is tried, and
/// that record and every later one are reported as batch item failures, so SQS
/// redelivers them in order.
///
/// ```ignore
/// FifoBatch::in_order(&event.records, |record| handle(&app, record)).await
/// ```
#[derive(Default)]
pub struct FifoBatch {
    response: SqsBatchResponse,
    stopped: bool,
}

impl FifoBatch {
    /// Handle `records` in order with `handle`, stopping at the first failure.
    pub async fn in_order<'r, F, Fut, E>(records: &'r [SqsMessage], mut handle: F) -> SqsBatchResponse
    where
        F: FnMut(&'r SqsMessage) -> Fut,
        Fut: std::future::Future<Output = std::result::Result<(), E>>,
        E: std::fmt::Display,
    {
        let mut batch = FifoBatch::default();
        for record in records {
            let result = if batch.stopped() { Ok(()) } else { handle(record).await };
            batch.report(record, result);
        }
        batch.into_response()
    }

    /// Whether an earlier record failed (the rest are not tried).
    pub fn stopped(&self) -> bool {
        self.stopped
    }

    /// The outcome of one record, in order.
    pub fn report<E: std::fmt::Display>(&mut self, record: &SqsMessage, result: std::result::Result<(), E>) {
        let id = record.message_id.clone().unwrap_or_default();
        if let Err(e) = result {
            tracing::warn!(message_id = %id, error = %e, "record failed; stopping the batch");
            self.stopped = true;
        }
        if self.stopped {
            let mut failure = BatchItemFailure::default();
            failure.item_identifier = id;
            self.response.batch_item_failures.push(failure);
        }
    }

    pub fn into_response(self) -> SqsBatchResponse {
        self.response
    }
}
