//! Change a form. A new `name` or `fields` makes a new version (when it differs from the
//! current one); `service_ids` alone replaces which services ask for it, with no new
//! version. Absent fields stay.

use axum::extract::State;
use axum::routing::patch;
use serde::Deserialize;
use serde_json::Value;
use shared::types::Name;
use shared::{Access, ApiError, ApiResult, App, Auth, Json, Operation, Path, Permission};
use uuid::Uuid;

use crate::definition;
use crate::model::{self, Form};

pub const OP: Operation = Operation::http(
    "forms",
    "forms-update",
    "PATCH",
    "/v1/forms/{form_id}",
    Access::Can(Permission::ManageForms),
    "Change an intake form",
    || patch(handler),
);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpdateForm {
    pub name: Option<Name>,
    /// The whole new list of fields (checked like forms-create's).
    pub fields: Option<Vec<Value>>,
    pub service_ids: Option<Vec<Uuid>>,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(form_id): Path<Uuid>,
    Json(req): Json<UpdateForm>,
) -> ApiResult<Json<Form>> {
    let fields = match &req.fields {
        Some(raw) => Some(definition::to_json(&definition::parse(raw).map_err(ApiError::invalid_fields)?)),
        None => None,
    };
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    // Locked, so two edits at once make two versions one after the other.
    let current = sqlx::query!(
        "SELECT f.version, v.name, v.fields
         FROM forms f
         JOIN form_versions v ON v.business_id = f.business_id AND v.form_id = f.id AND v.version = f.version
         WHERE f.id = $1 AND f.archived_at IS NULL
         FOR UPDATE OF f",
        form_id
    )
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| ApiError::not_found("form"))?;

    let name = req.name.as_ref().map_or(current.name.as_str(), AsRef::as_ref);
    let fields = fields.unwrap_or_else(|| current.fields.clone());
    // jsonb keeps no key order and serde_json compares objects regardless of it, so an
    // unchanged definition sent again is recognised and makes no version.
    if name != current.name || fields != current.fields {
        let version = current.version + 1;
        sqlx::query!(
            "INSERT INTO form_versions (business_id, form_id, version, name, fields) VALUES ($1, $2, $3, $4, $5)",
            auth.business_id,
            form_id,
            version,
            name,
            fields
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query!("UPDATE forms SET version = $2, updated_at = now() WHERE id = $1", form_id, version)
            .execute(&mut *tx)
            .await?;
    }
    if let Some(service_ids) = &req.service_ids {
        model::set_services(&mut tx, auth.business_id, form_id, service_ids).await?;
        sqlx::query!("UPDATE forms SET updated_at = now() WHERE id = $1", form_id).execute(&mut *tx).await?;
    }
    let form = model::fetch(&mut tx, form_id).await?;
    tx.commit().await?;
    Ok(Json(form))
}
