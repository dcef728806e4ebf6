//! Who is calling: roles, the one permission matrix, and the identity extractor.
//!
//! Under API Gateway the Lambda authorizer (auth-authorizer) has already verified the
//! token and put business, user and role into the request context; the local fleet runs
//! the same verification in a layer and fills the same context, so `Auth` reads one place.

pub mod password;
pub mod token;

use std::collections::HashMap;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use lambda_http::RequestExt;
use lambda_http::request::RequestContext;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

use crate::error::ApiError;
use crate::operation::{Access, Routed};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Owner,
    Manager,
    Staff,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Owner, Role::Manager, Role::Staff];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Manager => "manager",
            Role::Staff => "staff",
        }
    }

    pub fn parse(raw: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == raw)
    }
}

/// What an operation needs. Handlers ask for a permission, never for a role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Permission {
    ViewBusiness,
    ManageBusiness,
    ViewLocations,
    ManageLocations,
    ViewStaff,
    ManageStaff,
    ViewServices,
    ManageServices,
    ViewAvailability,
    ManageAvailability,
    ViewAppointments,
    ManageAppointments,
    ViewCustomers,
    ManageCustomers,
    ViewWaitlist,
    ManageWaitlist,
    ViewNotifications,
    /// The SaaS subscription: checkout, the customer portal, cancelling.
    ManageBilling,
    /// Connect or disconnect one's own Google Calendar.
    ConnectOwnCalendar,
    /// Connect or disconnect any staff member's Google Calendar.
    ManageCalendars,
    /// Intake forms and the answers customers gave.
    ViewForms,
    ManageForms,
    ViewReviews,
    /// Publish or hide a customer's review.
    ModerateReviews,
    /// Marketing campaigns: write, send, read their figures.
    ManageCampaigns,
}

use Role::{Manager, Owner, Staff};

/// The permission matrix: the only place that says which role may do what.
pub const MATRIX: &[(Permission, &[Role])] = &[
    (Permission::ViewBusiness, &[Owner, Manager, Staff]),
    (Permission::ManageBusiness, &[Owner, Manager]),
    (Permission::ViewLocations, &[Owner, Manager, Staff]),
    (Permission::ManageLocations, &[Owner, Manager]),
    (Permission::ViewStaff, &[Owner, Manager, Staff]),
    (Permission::ManageStaff, &[Owner, Manager]),
    (Permission::ViewServices, &[Owner, Manager, Staff]),
    (Permission::ManageServices, &[Owner, Manager]),
    (Permission::ViewAvailability, &[Owner, Manager, Staff]),
    (Permission::ManageAvailability, &[Owner, Manager]),
    (Permission::ViewAppointments, &[Owner, Manager, Staff]),
    // Staff book, cancel, reschedule and mark no-shows themselves.
    (Permission::ManageAppointments, &[Owner, Manager, Staff]),
    (Permission::ViewCustomers, &[Owner, Manager, Staff]),
    (Permission::ManageCustomers, &[Owner, Manager, Staff]),
    (Permission::ViewWaitlist, &[Owner, Manager, Staff]),
    (Permission::ManageWaitlist, &[Owner, Manager, Staff]),
    (Permission::ViewNotifications, &[Owner, Manager]),
    (Permission::ManageBilling, &[Owner]),
    (Permission::ConnectOwnCalendar, &[Owner, Manager, Staff]),
    (Permission::ManageCalendars, &[Owner, Manager]),
    (Permission::ViewForms, &[Owner, Manager, Staff]),
    (Permission::ManageForms, &[Owner, Manager]),
    (Permission::ViewReviews, &[Owner, Manager, Staff]),
    (Permission::ModerateReviews, &[Owner, Manager]),
    (Permission::ManageCampaigns, &[Owner, Manager]),
];

impl Permission {
    pub fn allows(self, role: Role) -> bool {
        MATRIX.iter().any(|(p, roles)| *p == self && roles.contains(&role))
    }
}

/// The matrix as a markdown table (docs/permissions.md is generated from it).
pub fn matrix_markdown() -> String {
    let mut out = String::from("| permission | owner | manager | staff |\n|---|:-:|:-:|:-:|\n");
    for (permission, _) in MATRIX {
        let mark = |role| if permission.allows(role) { "✓" } else { "—" };
        out.push_str(&format!(
            "| {permission:?} | {} | {} | {} |\n",
            mark(Role::Owner),
            mark(Role::Manager),
            mark(Role::Staff)
        ));
    }
    out
}

/// The authenticated caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Auth {
    pub business_id: Uuid,
    pub user_id: Uuid,
    pub role: Role,
    /// The sign-in session the token belongs to (logout and refresh-token reuse revoke it).
    pub session_id: Option<Uuid>,
}

impl Auth {
    /// Refuse with 403 unless the caller's role has the permission.
    pub fn require(&self, permission: Permission) -> Result<(), ApiError> {
        if permission.allows(self.role) {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!("the {} role may not do this ({permission:?})", self.role.as_str())))
        }
    }

    /// Refuse with 403 unless the caller is a platform operator (listed in
    /// `platform_admins`; no business role makes anyone one).
    pub async fn require_platform_admin(&self, db: &crate::db::Db) -> Result<(), ApiError> {
        if db.is_platform_admin(self.user_id).await? {
            Ok(())
        } else {
            Err(ApiError::forbidden("only platform operators may do this"))
        }
    }

    /// The authorizer context this identity travels in (string values, as API Gateway
    /// passes them through).
    pub fn to_context(&self) -> HashMap<String, Value> {
        let mut context = HashMap::from([
            ("business_id".to_owned(), Value::from(self.business_id.to_string())),
            ("user_id".to_owned(), Value::from(self.user_id.to_string())),
            ("role".to_owned(), Value::from(self.role.as_str())),
        ]);
        if let Some(session) = self.session_id {
            context.insert("session_id".to_owned(), Value::from(session.to_string()));
        }
        context
    }

    pub fn from_context(fields: &HashMap<String, Value>) -> Option<Auth> {
        let text = |k: &str| fields.get(k).and_then(Value::as_str);
        Some(Auth {
            business_id: text("business_id")?.parse().ok()?,
            user_id: text("user_id")?.parse().ok()?,
            role: Role::parse(text("role")?)?,
            session_id: text("session_id").and_then(|s| s.parse().ok()),
        })
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let fields = match parts.extensions.request_context_ref() {
            Some(RequestContext::ApiGatewayV2(ctx)) => ctx.authorizer.as_ref().map(|a| &a.fields),
            _ => None,
        };
        let auth = fields
            .and_then(Auth::from_context)
            .ok_or_else(|| ApiError::unauthorized("a valid bearer token is required"))?;
        // The operation's declared access; a route mounted without one refuses everyone.
        match parts.extensions.get::<Routed>().map(|r| r.access) {
            Some(Access::Member) => Ok(auth),
            Some(Access::Can(permission)) => auth.require(permission).map(|()| auth),
            Some(Access::Admin) => Ok(auth), // the handler asks the database (platform_admins)
            other => Err(ApiError::internal(format!("a signed-in caller on a route declared {other:?}"))),
        }
    }
}

/// Put an identity into a request the way API Gateway does after the authorizer allowed
/// it. Used by the local fleet's authorizer layer.
pub fn attach_context(extensions: &mut http::Extensions, auth: &Auth) {
    let ctx = serde_json::json!({
        "http": {"method": "", "path": "", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": ""},
        "authorizer": {"lambda": auth.to_context()},
    });
    match serde_json::from_value(ctx) {
        Ok(ctx) => {
            extensions.insert(RequestContext::ApiGatewayV2(ctx));
        }
        Err(e) => tracing::error!(error = %e, "could not build the request context"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A staff caller's request parts, routed to an operation with `access` (or unrouted).
    fn staff_request(access: Option<Access>) -> Parts {
        let staff = Auth { business_id: Uuid::nil(), user_id: Uuid::nil(), role: Role::Staff, session_id: None };
        let (mut parts, ()) = http::Request::new(()).into_parts();
        attach_context(&mut parts.extensions, &staff);
        if let Some(access) = access {
            parts.extensions.insert(Routed { name: "demo", access, publishes: &[] });
        }
        parts
    }

    #[test]
    fn the_operations_access_is_enforced_by_the_extractor() {
        let rt = tokio::runtime::Builder::new_current_thread().build().unwrap();
        let status = |access| {
            rt.block_on(Auth::from_request_parts(&mut staff_request(access), &())).map(|a| a.role).map_err(|e| e.status)
        };
        assert_eq!(status(Some(Access::Member)), Ok(Role::Staff));
        assert_eq!(status(Some(Access::Can(Permission::ManageAppointments))), Ok(Role::Staff));
        assert_eq!(status(Some(Access::Can(Permission::ManageStaff))), Err(http::StatusCode::FORBIDDEN));
        // A route mounted without its operation refuses every caller.
        assert_eq!(status(None), Err(http::StatusCode::INTERNAL_SERVER_ERROR));
        assert_eq!(status(Some(Access::Public)), Err(http::StatusCode::INTERNAL_SERVER_ERROR));
    }

    #[test]
    fn api_md_labels_follow_the_permission() {
        assert_eq!(Access::Can(Permission::ViewStaff).label(), "staff");
        assert_eq!(Access::Can(Permission::ManageStaff).label(), "owner");
        assert_eq!(Access::Member.label(), "staff");
    }

    #[test]
    fn matrix_lists_every_permission_once() {
        let mut seen = std::collections::HashSet::new();
        for (p, roles) in MATRIX {
            assert!(seen.insert(*p), "{p:?} twice");
            assert!(roles.contains(&Role::Owner), "owners may do everything: {p:?}");
        }
        assert!(!Permission::ManageStaff.allows(Role::Staff));
        assert!(Permission::ViewStaff.allows(Role::Staff));
    }

    #[test]
    fn context_round_trip() {
        let auth = Auth {
            business_id: Uuid::now_v7(),
            user_id: Uuid::now_v7(),
            role: Role::Manager,
            session_id: Some(Uuid::now_v7()),
        };
        assert_eq!(Auth::from_context(&auth.to_context()), Some(auth));
        let mut ext = http::Extensions::new();
        attach_context(&mut ext, &auth);
        let Some(RequestContext::ApiGatewayV2(ctx)) = ext.request_context_ref() else { panic!("no context") };
        assert_eq!(Auth::from_context(&ctx.authorizer.as_ref().unwrap().fields), Some(auth));
    }
}
