//! The whole fleet in one process: every operation's route behind the same authorizer
//! code API Gateway runs, for development and for the end-to-end tests.

pub mod seed;
pub mod whatsapp_fake;
pub mod workers;

use axum::Router;
use axum::extract::{Request, State};
use axum::middleware::{Next, from_fn_with_state};
use axum::response::{IntoResponse, Response};
use shared::config::Config;
use shared::events::Routes;
use shared::operation::QueueNames;
use shared::{App, Operation};

/// Every operation of every domain.
pub fn operations() -> Vec<&'static Operation> {
    [
        auth::OPERATIONS,
        business::OPERATIONS,
        locations::OPERATIONS,
        staff::OPERATIONS,
        services::OPERATIONS,
        availability::OPERATIONS,
        customers::OPERATIONS,
        appointments::OPERATIONS,
        waitlist::OPERATIONS,
        notifications::OPERATIONS,
        housekeeping::OPERATIONS,
        billing::OPERATIONS,
        calendar::OPERATIONS,
        campaigns::OPERATIONS,
        forms::OPERATIONS,
        reviews::OPERATIONS,
    ]
    .concat()
}

/// One router with every HTTP route; routes that need a token go through the authorizer.
pub fn router(app: App) -> Router {
    let mut router = Router::new();
    for op in operations() {
        if let Some((path, access, mut method_router)) = op.method_router() {
            if access.needs_token() {
                method_router = method_router.route_layer(from_fn_with_state(app.clone(), local_authorizer));
            }
            router = router.route(path, method_router);
        }
    }
    shared::lambda::with_common_layers(router.with_state(app.clone()), &app)
}

/// What API Gateway does with the Lambda authorizer: run it, refuse or pass the identity.
async fn local_authorizer(State(app): State<App>, mut req: Request, next: Next) -> Response {
    let header = req.headers().get(axum::http::header::AUTHORIZATION).and_then(|v| v.to_str().ok());
    match auth::authorizer::authorize(&app, header).await {
        Ok(who) => {
            shared::auth::attach_context(req.extensions_mut(), &who);
            next.run(req).await
        }
        Err(e) => e.into_response(),
    }
}

/// The committed `functions.json`, as it should read.
pub fn manifest() -> String {
    shared::operation::manifest(&operations())
}

/// The fleet's wiring for one process that runs every operation: each kind of event
/// routed to all its subscribers, and every queue known to the redrive.
pub fn wire(config: &mut Config) {
    let operations = operations();
    config.event_routes = Routes::of(&operations);
    config.fleet_queues = QueueNames::all(&operations);
}

/// The app as the local fleet runs it: configured by the environment, wired by [`wire`].
pub async fn app_from_env() -> Result<App, shared::db::DbConfigError> {
    App::from_env_with(wire).await
}
