//! Operation descriptions: the one place that says what each Lambda is.
//!
//! Each operation is a `const Operation` next to its handler. The Lambda binary serves it,
//! the local fleet mounts it, and `functions.json` (which the CDK app reads to create the
//! function, its trigger and its least-privilege role) is generated from it.

use aws_lambda_events::apigw::{ApiGatewayV2CustomAuthorizerSimpleResponse, ApiGatewayV2CustomAuthorizerV2Request};
use axum::routing::MethodRouter;
use futures_util::future::BoxFuture;
use serde::Serialize;
use serde_json::{Value, json};

use crate::app::App;

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

/// What runs the operation.
#[derive(Clone, Copy)]
pub enum Handler {
    /// An axum method router for the operation's one route.
    Http { method: &'static str, path: &'static str, access: Access, route: fn() -> MethodRouter<App> },
    /// The API Gateway HTTP API Lambda authorizer (simple responses).
    Authorizer(AuthorizerFn),
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
