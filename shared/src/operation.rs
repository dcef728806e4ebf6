//! Operation descriptions: the one place that says what each Lambda is.
//!
//! Each operation is a `const Operation` next to its handler. The Lambda binary serves it,
//! the local fleet mounts it, and `functions.json` (which the CDK app reads to create the
//! function, its trigger and its least-privilege role) is generated from it.

use aws_lambda_events::apigw::{ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use aws_lambda_events::sqs::{SqsBatchResponse, SqsEvent};
use axum::routing::MethodRouter;
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::{Value, json};

use crate::app::App;
use crate::auth::{Permission, Role};
use crate::error::ApiError;
use crate::events::{self, EventKind, Routes};

/// Who may call an HTTP operation (API.md's access column). This is the only place an
/// operation says it: the router hands it to the request, and [`Auth`](crate::Auth)
/// refuses a caller whose role lacks the permission before the handler runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// No token.
    Public,
    /// A signed token in the path, sent to the customer.
    CustomerLink,
    /// Any signed-in member of the business (their own account: me, logout).
    Member,
    /// A signed-in member whose role has the permission (the matrix in [`crate::auth`]).
    Can(Permission),
    /// Platform super-admin.
    Admin,
    /// Verified by Stripe's signature.
    Stripe,
    /// Verified by Google's channel token.
    Google,
}

impl Access {
    /// Whether API Gateway runs the Lambda authorizer before this route.
    pub fn needs_token(self) -> bool {
        matches!(self, Access::Member | Access::Can(_) | Access::Admin)
    }

    /// API.md's name for it: a permission staff hold is `staff`, one only owners and
    /// managers hold is `owner`.
    pub fn label(self) -> &'static str {
        match self {
            Access::Public => "public",
            Access::CustomerLink => "customer-link",
            Access::Member => "staff",
            Access::Can(p) if p.allows(Role::Staff) => "staff",
            Access::Can(_) => "owner",
            Access::Admin => "admin",
            Access::Stripe => "stripe",
            Access::Google => "google",
        }
    }
}

impl Serialize for Access {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.label())
    }
}

/// The operation a request was routed to, as its handler's extractors see it (and, on
/// the response, the publishing layer: it sends only the kinds the operation declares).
#[derive(Debug, Clone, Copy)]
pub struct Routed {
    pub name: &'static str,
    pub access: Access,
    pub publishes: &'static [EventKind],
}

impl Routed {
    /// Middleware: hand the route's [`Routed`] on to the layers outside the router.
    async fn onto_response(req: axum::extract::Request, next: axum::middleware::Next) -> axum::response::Response {
        let routed = req.extensions().get::<Routed>().copied();
        let mut response = next.run(req).await;
        if let Some(routed) = routed {
            response.extensions_mut().insert(routed);
        }
        response
    }
}

/// An AWS permission an operation needs, on a resource named symbolically; the CDK app
/// maps the name (`secret:database`, `queue:notifications`) to the resource's ARN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct AwsPermission {
    pub actions: &'static [&'static str],
    pub resource: &'static str,
}

/// Read the database credentials (every operation that touches PostgreSQL).
pub const DATABASE_SECRET: AwsPermission =
    AwsPermission { actions: &["secretsmanager:GetSecretValue"], resource: "secret:database" };
/// Read the cross-tenant workers' database credentials (role kairos_jobs) instead.
pub const JOBS_DATABASE_SECRET: AwsPermission =
    AwsPermission { actions: &["secretsmanager:GetSecretValue"], resource: "secret:database-jobs" };
/// Read the JWT signing keys (operations that mint or verify tokens).
pub const JWT_SECRET: AwsPermission =
    AwsPermission { actions: &["secretsmanager:GetSecretValue"], resource: "secret:jwt-signing-keys" };
/// Read the WhatsApp Cloud API token.
pub const WHATSAPP_SECRET: AwsPermission =
    AwsPermission { actions: &["secretsmanager:GetSecretValue"], resource: "secret:whatsapp" };
/// Send email through the SES identity (and its configuration set).
pub const SES_SEND: AwsPermission = AwsPermission { actions: &["ses:SendEmail"], resource: "ses:identity" };

/// An SQS queue the fleet uses; the CDK app creates it, and its dead-letter queue, from this.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Queue {
    pub name: &'static str,
    pub dead_letter: &'static str,
    /// Receives before a message moves to the dead-letter queue.
    pub max_receive_count: u32,
    /// At least six times the consumer's timeout, as Lambda's event source advises.
    pub visibility_timeout_seconds: u32,
}

impl Queue {
    /// A consumer's queue and its dead-letter queue: five receives before a message is
    /// set aside, six minutes of visibility (above six times a consumer's 60 s timeout).
    pub const fn new(name: &'static str, dead_letter: &'static str) -> Queue {
        Queue { name, dead_letter, max_receive_count: 5, visibility_timeout_seconds: 360 }
    }

    /// The environment variable holding the URL of the queue called `name`.
    pub fn url_variable(name: &str) -> String {
        format!("QUEUE_URL_{}", name.to_uppercase().replace('-', "_"))
    }

    fn json(&self) -> Value {
        json!({
            "name": self.name,
            "fifo": true,
            "content_based_deduplication": false,
            "visibility_timeout_seconds": self.visibility_timeout_seconds,
            "dead_letter": {"name": self.dead_letter, "max_receive_count": self.max_receive_count},
        })
    }
}

pub type AuthorizerFn =
    fn(App, ApiGatewayV2CustomAuthorizerV2Request) -> BoxFuture<'static, ApiGatewayV2CustomAuthorizerSimpleResponse>;

/// An SQS consumer: answers which records failed (ReportBatchItemFailures).
pub type SqsFn = fn(App, SqsEvent) -> BoxFuture<'static, SqsBatchResponse>;

/// A scheduled job (EventBridge); an error fails the invocation so Lambda retries it.
pub type ScheduleFn = fn(App, EventBridgeEvent<Value>) -> BoxFuture<'static, Result<(), ApiError>>;

/// What runs the operation.
#[derive(Clone, Copy)]
pub enum Handler {
    /// An axum method router for the operation's one route.
    Http { method: &'static str, path: &'static str, access: Access, route: fn() -> MethodRouter<App> },
    /// The API Gateway HTTP API Lambda authorizer (simple responses).
    Authorizer(AuthorizerFn),
    /// The consumer of its own queue (the CDK app creates it from this); the kinds of
    /// event it takes are those it [subscribes](Operation::subscribes) to.
    Sqs { queue: &'static Queue, batch_size: u16, run: SqsFn },
    /// A job on an EventBridge schedule expression (`rate(5 minutes)`, `cron(...)`).
    Schedule { expression: &'static str, run: ScheduleFn },
}

#[derive(Clone, Copy)]
pub struct Operation {
    pub name: &'static str,
    pub domain: &'static str,
    pub summary: &'static str,
    pub handler: Handler,
    pub timeout_seconds: u32,
    pub memory_mb: u32,
    pub permissions: &'static [AwsPermission],
    /// Environment variables beyond those its permissions imply (`APP_URL`, client ids).
    pub extra_environment: &'static [&'static str],
    /// The kinds of event it writes to the outbox and publishes right after answering:
    /// it may send to the queues of their subscribers, and to no other.
    pub publishes: &'static [EventKind],
    /// The kinds of event its queue receives (SQS consumers).
    pub subscribes: &'static [EventKind],
    /// Publishes whatever any function left in the outbox (the relay's sweep).
    pub relays: bool,
    /// Moves dead-lettered messages back to their queues: every queue of the fleet.
    pub redrives: bool,
    /// Works across every business through the cross-tenant functions, connected as the
    /// jobs login (kairos_jobs) instead of the request path's.
    pub cross_tenant: bool,
}

impl Operation {
    /// An operation with the defaults every kind starts from: 256 MB, the application's
    /// database secret, nothing published or subscribed.
    const fn new(
        domain: &'static str,
        name: &'static str,
        summary: &'static str,
        handler: Handler,
        timeout_seconds: u32,
    ) -> Operation {
        Operation {
            name,
            domain,
            summary,
            handler,
            timeout_seconds,
            memory_mb: 256,
            permissions: &[DATABASE_SECRET],
            extra_environment: &[],
            publishes: &[],
            subscribes: &[],
            relays: false,
            redrives: false,
            cross_tenant: false,
        }
    }

    pub const fn http(
        domain: &'static str,
        name: &'static str,
        method: &'static str,
        path: &'static str,
        access: Access,
        summary: &'static str,
        route: fn() -> MethodRouter<App>,
    ) -> Operation {
        Operation::new(domain, name, summary, Handler::Http { method, path, access, route }, 10)
    }

    pub const fn authorizer(
        domain: &'static str,
        name: &'static str,
        summary: &'static str,
        f: AuthorizerFn,
    ) -> Operation {
        Operation::new(domain, name, summary, Handler::Authorizer(f), 5).permissions(&[DATABASE_SECRET, JWT_SECRET])
    }

    pub const fn sqs(
        domain: &'static str,
        name: &'static str,
        queue: &'static Queue,
        summary: &'static str,
        run: SqsFn,
    ) -> Operation {
        Operation::new(domain, name, summary, Handler::Sqs { queue, batch_size: 10, run }, 60)
    }

    pub const fn schedule(
        domain: &'static str,
        name: &'static str,
        expression: &'static str,
        summary: &'static str,
        run: ScheduleFn,
    ) -> Operation {
        Operation::new(domain, name, summary, Handler::Schedule { expression, run }, 120)
    }

    pub const fn memory(mut self, mb: u32) -> Operation {
        self.memory_mb = mb;
        self
    }

    pub const fn timeout(mut self, seconds: u32) -> Operation {
        self.timeout_seconds = seconds;
        self
    }

    pub const fn permissions(mut self, permissions: &'static [AwsPermission]) -> Operation {
        self.permissions = permissions;
        self
    }

    /// This operation writes these kinds of event to the outbox; it may send to the
    /// queues they go to.
    pub const fn publishes(mut self, kinds: &'static [EventKind]) -> Operation {
        self.publishes = kinds;
        self
    }

    /// This consumer's queue receives these kinds of event.
    pub const fn subscribes(mut self, kinds: &'static [EventKind]) -> Operation {
        self.subscribes = kinds;
        self
    }

    /// This operation runs the relay: it may publish every kind of event.
    pub const fn relays(mut self) -> Operation {
        self.relays = true;
        self
    }

    /// This operation moves dead letters back: it reads every dead-letter queue and sends
    /// to every queue.
    pub const fn redrives(mut self) -> Operation {
        self.redrives = true;
        self
    }

    /// A cross-tenant worker: connects as the jobs login, whose secret replaces the
    /// application's among its permissions.
    pub const fn cross_tenant(mut self) -> Operation {
        self.cross_tenant = true;
        self
    }

    /// Every AWS permission, in the fleet the operations make: the declared ones (the
    /// jobs login's secret in place of the application's for a cross-tenant worker), the
    /// queues its events go to, and every queue for the redrive.
    pub fn all_permissions(&self, fleet: &Fleet) -> Vec<Grant> {
        let mut all: Vec<Grant> = self
            .permissions
            .iter()
            .map(|p| if self.cross_tenant && *p == DATABASE_SECRET { JOBS_DATABASE_SECRET } else { *p })
            .map(Grant::from)
            .collect();
        for queue in fleet.routes.for_publisher(self).destinations() {
            all.push(Grant::queue(SEND, queue));
        }
        if self.redrives {
            for queue in &fleet.queues {
                all.push(Grant::queue(CONSUME, queue.dead_letter));
                all.push(Grant::queue(SEND, queue.name));
            }
        }
        first_of_each(all)
    }

    /// Values the manifest hands the function as they are: its routing table, the fleet's
    /// queues for the redrive.
    fn environment_values(&self, fleet: &Fleet) -> serde_json::Map<String, Value> {
        let mut values = serde_json::Map::new();
        if !self.publishes.is_empty() || self.relays {
            let routes = serde_json::to_string(&fleet.routes.for_publisher(self)).unwrap_or_default();
            values.insert("EVENT_ROUTES".into(), routes.into());
        }
        if self.redrives {
            let queues: Vec<QueueNames> = fleet.queues.iter().map(|q| QueueNames::of(q)).collect();
            values.insert("FLEET_QUEUES".into(), serde_json::to_string(&queues).unwrap_or_default().into());
        }
        values
    }

    pub const fn env(mut self, names: &'static [&'static str]) -> Operation {
        self.extra_environment = names;
        self
    }

    /// The operation's path, access and route, its name and access attached for the
    /// extractors ([`Routed`]); `None` unless it is an HTTP operation.
    pub fn method_router(&self) -> Option<(&'static str, Access, MethodRouter<App>)> {
        match self.handler {
            Handler::Http { path, access, route, .. } => {
                let routed = Routed { name: self.name, access, publishes: self.publishes };
                let route = route()
                    .layer::<_, std::convert::Infallible>(axum::middleware::from_fn(Routed::onto_response))
                    .layer::<_, std::convert::Infallible>(axum::Extension(routed));
                Some((path, access, route))
            }
            _ => None,
        }
    }

    /// `Some((method, path, access))` for an HTTP operation.
    pub fn http_route(&self) -> Option<(&'static str, &'static str, Access)> {
        match self.handler {
            Handler::Http { method, path, access, .. } => Some((method, path, access)),
            _ => None,
        }
    }

    fn trigger_json(&self) -> Value {
        match self.handler {
            Handler::Http { method, path, access, .. } => {
                json!({"type": "http", "method": method, "path": path, "access": access, "authorizer": access.needs_token()})
            }
            Handler::Authorizer(_) => json!({"type": "authorizer"}),
            Handler::Sqs { queue, batch_size, .. } => {
                json!({"type": "sqs", "queue": queue.name, "batch_size": batch_size, "report_batch_item_failures": true})
            }
            Handler::Schedule { expression, .. } => json!({"type": "schedule", "expression": expression}),
        }
    }

    /// Environment variables the function needs, by the resources it may touch.
    fn environment(&self, fleet: &Fleet) -> Vec<String> {
        let mut env: Vec<String> = Vec::new();
        for p in self.all_permissions(fleet) {
            match p.resource.as_str() {
                "secret:database" => env.extend(["DATABASE_SECRET_ID".into(), "DATABASE_HOST".into()]),
                "secret:database-jobs" => env.extend(["JOBS_DATABASE_SECRET_ID".into(), "DATABASE_HOST".into()]),
                "secret:jwt-signing-keys" => env.push("JWT_SECRET_ID".into()),
                "secret:whatsapp" => env.extend(["WHATSAPP_SECRET_ID".into(), "WHATSAPP_API_BASE".into()]),
                "secret:stripe" => env.extend(["STRIPE_SECRET_ID".into(), "STRIPE_API_BASE".into()]),
                "secret:google-calendar" => env.push("GOOGLE_CALENDAR_SECRET_ID".into()),
                "secret:calendar-token-keys" => env.push("CALENDAR_KEYS_SECRET_ID".into()),
                "ses:identity" => env.extend(["SES_FROM_ADDRESS".into(), "SES_CONFIGURATION_SET".into()]),
                queue if queue.starts_with("queue:") => env.push(Queue::url_variable(&queue["queue:".len()..])),
                _ => {}
            }
        }
        env.extend(self.environment_values(fleet).keys().cloned());
        env.extend(self.extra_environment.iter().map(|e| e.to_string()));
        first_of_each(env)
    }
}

/// The items in order, each kept where it first appears.
fn first_of_each<T: PartialEq>(items: Vec<T>) -> Vec<T> {
    let mut unique: Vec<T> = Vec::with_capacity(items.len());
    for item in items {
        if !unique.contains(&item) {
            unique.push(item);
        }
    }
    unique
}

/// A permission as the manifest states it: an [`AwsPermission`], or one on a queue the
/// operation list implies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Grant {
    pub actions: &'static [&'static str],
    pub resource: String,
}

impl Grant {
    fn queue(actions: &'static [&'static str], queue: &str) -> Grant {
        Grant { actions, resource: format!("queue:{queue}") }
    }
}

impl From<AwsPermission> for Grant {
    fn from(p: AwsPermission) -> Grant {
        Grant { actions: p.actions, resource: p.resource.to_owned() }
    }
}

/// Sending to a queue.
pub const SEND: &[&str] = &["sqs:SendMessage"];
/// What SQS lets a function do to the messages of a queue it consumes.
pub const CONSUME: &[&str] = &["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"];

/// A queue's name and its dead-letter queue's, as the redrive reads them (`FLEET_QUEUES`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct QueueNames {
    pub name: String,
    pub dead_letter: String,
}

impl QueueNames {
    fn of(q: &Queue) -> QueueNames {
        QueueNames { name: q.name.to_owned(), dead_letter: q.dead_letter.to_owned() }
    }

    /// Every queue the operations consume.
    pub fn all(operations: &[&Operation]) -> Vec<QueueNames> {
        events::queues(operations).into_iter().map(QueueNames::of).collect()
    }
}

/// The fleet the operations make: the queues they consume and where each event goes.
pub struct Fleet {
    pub routes: Routes,
    pub queues: Vec<&'static Queue>,
}

impl Fleet {
    pub fn of(operations: &[&Operation]) -> Fleet {
        Fleet { routes: Routes::of(operations), queues: events::queues(operations) }
    }
}

/// `functions.json`: every operation, sorted by name, and the queues they consume, as the
/// CDK app consumes them.
pub fn manifest(operations: &[&Operation]) -> String {
    let fleet = Fleet::of(operations);
    let mut ops: Vec<_> = operations.to_vec();
    ops.sort_by_key(|o| o.name);
    let functions: Vec<Value> = ops
        .iter()
        .map(|o| {
            let mut f = json!({
                "name": o.name,
                "domain": o.domain,
                "summary": o.summary,
                "binary": format!("functions/{}/src/bin/{}.rs", o.domain, o.name),
                "trigger": o.trigger_json(),
                "timeout_seconds": o.timeout_seconds,
                "memory_mb": o.memory_mb,
                "permissions": o.all_permissions(&fleet),
                "environment": o.environment(&fleet),
            });
            let values = o.environment_values(&fleet);
            if !values.is_empty() {
                f["environment_values"] = Value::Object(values);
            }
            f
        })
        .collect();
    let doc = json!({
        "generated_by": "cargo run -p local --bin kairos-local -- manifest",
        "runtime": "provided.al2023",
        "architecture": "x86_64",
        "functions": functions,
        "queues": fleet.queues.iter().map(|q| q.json()).collect::<Vec<_>>(),
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    const QUEUE: Queue = Queue::new("notifications", "notifications-dlq");
    const AUDIT_QUEUE: Queue = Queue::new("audit", "audit-dlq");

    const BOOKED: EventKind = "demo.booked";
    const CANCELLED: EventKind = "demo.cancelled";

    const CONSUMER: Operation = Operation::sqs("demo", "demo-consumer", &QUEUE, "Consume", |_, _| {
        async { SqsBatchResponse::default() }.boxed()
    })
    .subscribes(&[BOOKED, CANCELLED]);
    const AUDITOR: Operation = Operation::sqs("demo", "demo-auditor", &AUDIT_QUEUE, "Audit", |_, _| {
        async { SqsBatchResponse::default() }.boxed()
    })
    .subscribes(&[CANCELLED]);
    const JOB: Operation =
        Operation::schedule("demo", "demo-job", "rate(5 minutes)", "Sweep", |_, _| async { Ok(()) }.boxed())
            .permissions(&[DATABASE_SECRET, JWT_SECRET]);

    fn send_rights(op: &Operation, fleet: &Fleet) -> Vec<String> {
        op.all_permissions(fleet).into_iter().filter(|g| g.actions == SEND).map(|g| g.resource).collect()
    }

    #[test]
    fn manifest_describes_every_trigger_kind() {
        let doc: Value = serde_json::from_str(&manifest(&[&JOB, &CONSUMER])).unwrap();
        let functions = doc["functions"].as_array().unwrap();
        assert_eq!(functions[0]["name"], "demo-consumer", "sorted by name");
        assert_eq!(
            functions[0]["trigger"],
            json!({"type": "sqs", "queue": "notifications", "batch_size": 10, "report_batch_item_failures": true})
        );
        assert_eq!(functions[1]["trigger"], json!({"type": "schedule", "expression": "rate(5 minutes)"}));
        assert_eq!(functions[1]["environment"], json!(["DATABASE_SECRET_ID", "DATABASE_HOST", "JWT_SECRET_ID"]));
        assert_eq!(functions[1]["permissions"][1]["resource"], "secret:jwt-signing-keys");
        assert_eq!(doc["queues"][0]["dead_letter"], json!({"name": "notifications-dlq", "max_receive_count": 5}));
    }

    #[test]
    fn a_publisher_may_send_only_to_the_queues_its_events_go_to() {
        let booker = JOB.publishes(&[BOOKED]);
        let canceller = JOB.publishes(&[CANCELLED]);
        let quiet = JOB.publishes(&["demo.noticed"]);
        let fleet = Fleet::of(&[&booker, &canceller, &quiet, &CONSUMER, &AUDITOR]);
        assert_eq!(send_rights(&booker, &fleet), ["queue:notifications"]);
        assert_eq!(send_rights(&canceller, &fleet), ["queue:audit", "queue:notifications"]);
        assert!(send_rights(&quiet, &fleet).is_empty(), "nobody subscribes to demo.noticed");
        assert!(send_rights(&CONSUMER, &fleet).is_empty(), "consuming is not publishing");
        assert_eq!(send_rights(&JOB.relays(), &fleet), ["queue:audit", "queue:notifications"]);

        let routes: Routes = serde_json::from_value(json!({"demo.booked": ["notifications"]})).unwrap();
        assert_eq!(booker.environment_values(&fleet)["EVENT_ROUTES"], serde_json::to_string(&routes).unwrap());
        assert!(booker.environment(&fleet).contains(&"EVENT_ROUTES".to_string()));
        assert_eq!(fleet.routes.for_publisher(&quiet).queues("demo.noticed"), Some(&[][..]), "known, unwanted");
        assert_eq!(fleet.routes.for_publisher(&booker).queues("demo.cancelled"), None, "not this function's");
    }

    #[test]
    fn a_new_consumer_changes_routes_and_rights_without_touching_the_publisher() {
        let canceller = JOB.publishes(&[CANCELLED]);
        let before = Fleet::of(&[&canceller, &CONSUMER]);
        let after = Fleet::of(&[&canceller, &CONSUMER, &AUDITOR]);
        assert_eq!(send_rights(&canceller, &before), ["queue:notifications"]);
        assert_eq!(send_rights(&canceller, &after), ["queue:audit", "queue:notifications"]);
        assert_eq!(after.queues.iter().map(|q| q.name).collect::<Vec<_>>(), ["audit", "notifications"]);
    }

    #[test]
    fn the_redrive_reads_every_dead_letter_queue_and_sends_to_every_queue() {
        let redrive = JOB.redrives();
        let fleet = Fleet::of(&[&redrive, &CONSUMER, &AUDITOR]);
        let grants: Vec<(String, &[&str])> =
            redrive.all_permissions(&fleet).into_iter().skip(2).map(|g| (g.resource, g.actions)).collect();
        assert_eq!(
            grants,
            [
                ("queue:audit-dlq".to_string(), CONSUME),
                ("queue:audit".to_string(), SEND),
                ("queue:notifications-dlq".to_string(), CONSUME),
                ("queue:notifications".to_string(), SEND),
            ]
        );
        let queues: Vec<QueueNames> =
            serde_json::from_str(redrive.environment_values(&fleet)["FLEET_QUEUES"].as_str().unwrap()).unwrap();
        assert_eq!(queues, QueueNames::all(&[&CONSUMER, &AUDITOR]));
    }

    #[test]
    fn a_cross_tenant_worker_reads_the_jobs_login_instead_of_the_applications() {
        let worker = JOB.cross_tenant().publishes(&[BOOKED]);
        let fleet = Fleet::of(&[&worker, &CONSUMER]);
        let resources: Vec<String> = worker.all_permissions(&fleet).into_iter().map(|p| p.resource).collect();
        assert!(resources.contains(&"secret:database-jobs".to_string()), "{resources:?}");
        assert!(!resources.contains(&"secret:database".to_string()), "{resources:?}");
        let env = worker.environment(&fleet);
        assert!(
            env.contains(&"JOBS_DATABASE_SECRET_ID".to_string()) && !env.contains(&"DATABASE_SECRET_ID".to_string())
        );
    }

    #[test]
    fn queue_and_provider_permissions_name_their_environment() {
        const SENDER: Operation = JOB
            .permissions(&[
                DATABASE_SECRET,
                SES_SEND,
                AwsPermission { actions: &["sqs:SendMessage"], resource: "queue:notifications-email-dlq" },
            ])
            .env(&["APP_URL"]);
        assert_eq!(
            SENDER.environment(&Fleet::of(&[])),
            [
                "DATABASE_SECRET_ID",
                "DATABASE_HOST",
                "SES_FROM_ADDRESS",
                "SES_CONFIGURATION_SET",
                "QUEUE_URL_NOTIFICATIONS_EMAIL_DLQ",
                "APP_URL"
            ]
        );
    }
}
