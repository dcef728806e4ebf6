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

/// The operation a request was routed to, as its handler's extractors see it.
#[derive(Debug, Clone, Copy)]
pub struct Routed {
    pub name: &'static str,
    pub access: Access,
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
    /// A consumer of the named queue (the CDK app resolves the name).
    Sqs { queue: &'static str, batch_size: u16, run: SqsFn },
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
    /// Writes outbox rows and publishes them right after answering (needs the queues).
    pub publishes: bool,
    /// Works across every business through the cross-tenant functions, connected as the
    /// jobs login (kairos_jobs) instead of the request path's.
    pub cross_tenant: bool,
}

impl Operation {
    pub const fn http(
        domain: &'static str,
        name: &'static str,
        method: &'static str,
        path: &'static str,
        access: Access,
        summary: &'static str,
        route: fn() -> MethodRouter<App>,
    ) -> Operation {
        Operation {
            name,
            domain,
            summary,
            handler: Handler::Http { method, path, access, route },
            timeout_seconds: 10,
            memory_mb: 256,
            permissions: &[DATABASE_SECRET],
            extra_environment: &[],
            publishes: false,
            cross_tenant: false,
        }
    }

    pub const fn authorizer(
        domain: &'static str,
        name: &'static str,
        summary: &'static str,
        f: AuthorizerFn,
    ) -> Operation {
        Operation {
            name,
            domain,
            summary,
            handler: Handler::Authorizer(f),
            timeout_seconds: 5,
            memory_mb: 256,
            permissions: &[DATABASE_SECRET, JWT_SECRET],
            extra_environment: &[],
            publishes: false,
            cross_tenant: false,
        }
    }

    pub const fn sqs(
        domain: &'static str,
        name: &'static str,
        queue: &'static str,
        summary: &'static str,
        run: SqsFn,
    ) -> Operation {
        Operation {
            name,
            domain,
            summary,
            handler: Handler::Sqs { queue, batch_size: 10, run },
            timeout_seconds: 60,
            memory_mb: 256,
            permissions: &[DATABASE_SECRET],
            extra_environment: &[],
            publishes: false,
            cross_tenant: false,
        }
    }

    pub const fn schedule(
        domain: &'static str,
        name: &'static str,
        expression: &'static str,
        summary: &'static str,
        run: ScheduleFn,
    ) -> Operation {
        Operation {
            name,
            domain,
            summary,
            handler: Handler::Schedule { expression, run },
            timeout_seconds: 120,
            memory_mb: 256,
            permissions: &[DATABASE_SECRET],
            extra_environment: &[],
            publishes: false,
            cross_tenant: false,
        }
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

    /// This operation writes to the outbox; it may send to the queues its rows go to.
    pub const fn publishes(mut self) -> Operation {
        self.publishes = true;
        self
    }

    /// A cross-tenant worker: connects as the jobs login, whose secret replaces the
    /// application's among its permissions.
    pub const fn cross_tenant(mut self) -> Operation {
        self.cross_tenant = true;
        self
    }

    /// Every AWS permission: the declared ones (the jobs login's secret in place of the
    /// application's for a cross-tenant worker), and the queues if it publishes.
    pub fn all_permissions(&self) -> Vec<AwsPermission> {
        let mut all: Vec<AwsPermission> = self
            .permissions
            .iter()
            .map(|p| if self.cross_tenant && *p == DATABASE_SECRET { JOBS_DATABASE_SECRET } else { *p })
            .collect();
        if self.publishes {
            all.extend_from_slice(crate::outbox::PUBLISH);
        }
        all
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
                Some((path, access, route().layer(axum::Extension(Routed { name: self.name, access }))))
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
                json!({"type": "sqs", "queue": queue, "batch_size": batch_size, "report_batch_item_failures": true})
            }
            Handler::Schedule { expression, .. } => json!({"type": "schedule", "expression": expression}),
        }
    }

    /// Environment variables the function needs, by the resources it may touch.
    fn environment(&self) -> Vec<String> {
        let mut env: Vec<String> = Vec::new();
        for p in self.all_permissions() {
            match p.resource {
                "secret:database" => env.extend(["DATABASE_SECRET_ID".into(), "DATABASE_HOST".into()]),
                "secret:database-jobs" => env.extend(["JOBS_DATABASE_SECRET_ID".into(), "DATABASE_HOST".into()]),
                "secret:jwt-signing-keys" => env.push("JWT_SECRET_ID".into()),
                "secret:whatsapp" => env.extend(["WHATSAPP_SECRET_ID".into(), "WHATSAPP_API_BASE".into()]),
                "ses:identity" => env.extend(["SES_FROM_ADDRESS".into(), "SES_CONFIGURATION_SET".into()]),
                queue if queue.starts_with("queue:") => env.push(Queue::url_variable(&queue["queue:".len()..])),
                _ => {}
            }
        }
        env.extend(self.extra_environment.iter().map(|e| e.to_string()));
        env.dedup();
        env
    }
}

/// `functions.json`: every operation, sorted by name, and the queues, as the CDK app
/// consumes them.
pub fn manifest(operations: &[&Operation], queues: &[&Queue]) -> String {
    let mut ops: Vec<_> = operations.to_vec();
    ops.sort_by_key(|o| o.name);
    let functions: Vec<Value> = ops
        .iter()
        .map(|o| {
            json!({
                "name": o.name,
                "domain": o.domain,
                "summary": o.summary,
                "binary": format!("functions/{}/src/bin/{}.rs", o.domain, o.name),
                "trigger": o.trigger_json(),
                "timeout_seconds": o.timeout_seconds,
                "memory_mb": o.memory_mb,
                "permissions": o.all_permissions(),
                "environment": o.environment(),
            })
        })
        .collect();
    let doc = json!({
        "generated_by": "cargo run -p local --bin kairos-local -- manifest",
        "runtime": "provided.al2023",
        "architecture": "x86_64",
        "functions": functions,
        "queues": queues.iter().map(|q| q.json()).collect::<Vec<_>>(),
    });
    let mut out = serde_json::to_string_pretty(&doc).unwrap_or_default();
    out.push('\n');
    out
}

#[cfg(test)]
mod tests {
    use futures_util::FutureExt;

    use super::*;

    const CONSUMER: Operation = Operation::sqs("demo", "demo-consumer", "notifications", "Consume", |_, _| {
        async { SqsBatchResponse::default() }.boxed()
    });
    const JOB: Operation =
        Operation::schedule("demo", "demo-job", "rate(5 minutes)", "Sweep", |_, _| async { Ok(()) }.boxed())
            .permissions(&[DATABASE_SECRET, JWT_SECRET]);

    const QUEUE: Queue = Queue {
        name: "notifications",
        dead_letter: "notifications-dlq",
        max_receive_count: 5,
        visibility_timeout_seconds: 360,
    };

    #[test]
    fn manifest_describes_every_trigger_kind() {
        let doc: Value = serde_json::from_str(&manifest(&[&JOB, &CONSUMER], &[&QUEUE])).unwrap();
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
    fn a_cross_tenant_worker_reads_the_jobs_login_instead_of_the_applications() {
        let worker = JOB.cross_tenant().publishes();
        let resources: Vec<&str> = worker.all_permissions().iter().map(|p| p.resource).collect();
        assert!(resources.contains(&"secret:database-jobs"), "{resources:?}");
        assert!(!resources.contains(&"secret:database"), "{resources:?}");
        let env = worker.environment();
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
            SENDER.environment(),
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
