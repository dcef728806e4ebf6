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
use crate::error::ApiError;

/// Who may call an HTTP operation (API.md's access column).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Access {
    /// No token.
    Public,
    /// A signed token in the path, sent to the customer.
    CustomerLink,
    /// Any member of the business.
    Staff,
    /// Owner or manager.
    Owner,
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
        matches!(self, Access::Staff | Access::Owner | Access::Admin)
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
/// Read the JWT signing keys (operations that mint or verify tokens).
pub const JWT_SECRET: AwsPermission =
    AwsPermission { actions: &["secretsmanager:GetSecretValue"], resource: "secret:jwt-signing-keys" };

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
    fn environment(&self) -> Vec<&'static str> {
        let mut env = Vec::new();
        for p in self.permissions {
            match p.resource {
                "secret:database" => env.extend(["DATABASE_SECRET_ID", "DATABASE_HOST"]),
                "secret:jwt-signing-keys" => env.push("JWT_SECRET_ID"),
                _ => {}
            }
        }
        env
    }
}

/// `functions.json`: every operation, sorted by name, as the CDK app consumes it.
pub fn manifest(operations: &[&Operation]) -> String {
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
                "permissions": o.permissions,
                "environment": o.environment(),
            })
        })
        .collect();
    let doc = json!({
        "generated_by": "cargo run -p local --bin kairos-local -- manifest",
        "runtime": "provided.al2023",
        "architecture": "x86_64",
        "functions": functions,
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
    }
}
