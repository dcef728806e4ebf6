//! A form as the API shows it, the services that ask for it, and its responses as the
//! list and the export read them.

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use shared::db::Tx;
use shared::page::PageParams;
use shared::{ApiError, ApiResult};
use uuid::Uuid;

use crate::definition::{self, Field};

#[derive(Debug, Serialize)]
pub struct Form {
    pub id: Uuid,
    pub name: String,
    /// The current version; it goes up with every change to the name or the fields.
    pub version: i32,
    /// The current version's fields, in their stored shape.
    pub fields: Value,
    /// The live services that ask for this form.
    pub service_ids: Vec<Uuid>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

pub async fn fetch(tx: &mut Tx, id: Uuid) -> ApiResult<Form> {
    let found = select(tx, Some(id), &PageParams::default()).await?;
    found.into_iter().next().ok_or_else(|| ApiError::not_found("form"))
}

/// Live (not archived) forms in id order after the page's cursor, `page.fetch()` at most;
/// `id` narrows to that one. The one query behind `fetch` and the list.
pub async fn select(tx: &mut Tx, id: Option<Uuid>, page: &PageParams) -> ApiResult<Vec<Form>> {
    Ok(sqlx::query_as!(
        Form,
        r#"SELECT f.id, v.name, f.version, v.fields,
                  ARRAY(SELECT sf.service_id FROM service_forms sf
                        JOIN services s ON s.id = sf.service_id AND s.deleted_at IS NULL
                        WHERE sf.business_id = f.business_id AND sf.form_id = f.id
                        ORDER BY sf.service_id) AS "service_ids!",
                  f.created_at, f.updated_at
           FROM forms f
           JOIN form_versions v ON v.business_id = f.business_id AND v.form_id = f.id AND v.version = f.version
           WHERE ($1::uuid IS NULL OR f.id = $1) AND f.archived_at IS NULL AND f.id > $2
           ORDER BY f.id
           LIMIT $3"#,
        id,
        page.after(),
        page.fetch()
    )
    .fetch_all(&mut **tx)
    .await?)
}

/// Replace the services that ask for this form. Every id must be a live service of this
/// business (another business's service is unknown here: row-level security hides it).
pub async fn set_services(tx: &mut Tx, business_id: Uuid, form_id: Uuid, service_ids: &[Uuid]) -> ApiResult<()> {
    let mut ids = service_ids.to_vec();
    ids.sort();
    ids.dedup();
    let known =
        sqlx::query_scalar!(r#"SELECT count(*) AS "n!" FROM services WHERE id = ANY($1) AND deleted_at IS NULL"#, &ids)
            .fetch_one(&mut **tx)
            .await?;
    if known != ids.len() as i64 {
        return Err(ApiError::validation("service_ids", "names a service this business does not have"));
    }
    sqlx::query!("DELETE FROM service_forms WHERE form_id = $1", form_id).execute(&mut **tx).await?;
    sqlx::query!(
        "INSERT INTO service_forms (business_id, service_id, form_id) SELECT $1, unnest($2::uuid[]), $3",
        business_id,
        &ids,
        form_id
    )
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Whether the business has this form, archived or not (its responses stay readable).
pub async fn exists(tx: &mut Tx, form_id: Uuid) -> ApiResult<()> {
    sqlx::query_scalar!("SELECT id FROM forms WHERE id = $1", form_id)
        .fetch_optional(&mut **tx)
        .await?
        .ok_or_else(|| ApiError::not_found("form"))?;
    Ok(())
}

/// A response with what the list and the export show beside it.
#[derive(Debug)]
pub struct ResponseRow {
    pub id: Uuid,
    pub version: i32,
    pub appointment_id: Uuid,
    pub answers: Value,
    pub submitted_at: DateTime<Utc>,
    pub appointment_start: DateTime<Utc>,
    pub customer_id: Uuid,
    pub customer_name: String,
    pub customer_email: String,
}

/// One form's responses in id order after `after`, `limit` at most; `appointment_id`
/// narrows to that appointment's. Keyset pages over form_responses_by_form.
pub async fn responses(
    tx: &mut Tx,
    form_id: Uuid,
    appointment_id: Option<Uuid>,
    after: Uuid,
    limit: i64,
) -> ApiResult<Vec<ResponseRow>> {
    Ok(sqlx::query_as!(
        ResponseRow,
        r#"SELECT r.id, r.version, r.appointment_id, r.answers, r.submitted_at, a.starts_at AS appointment_start,
                  c.id AS customer_id, c.name AS customer_name, c.email AS customer_email
           FROM form_responses r
           JOIN appointments a ON a.id = r.appointment_id
           JOIN customers c ON c.id = a.customer_id
           WHERE r.form_id = $1 AND ($2::uuid IS NULL OR r.appointment_id = $2) AND r.id > $3
           ORDER BY r.id
           LIMIT $4"#,
        form_id,
        appointment_id,
        after,
        limit
    )
    .fetch_all(&mut **tx)
    .await?)
}

/// One of a form's versions, with its fields.
#[derive(Debug)]
pub struct Version {
    pub version: i32,
    pub name: String,
    pub fields: Vec<Field>,
}

/// These versions of a form, oldest first.
pub async fn versions(tx: &mut Tx, form_id: Uuid, which: &[i32]) -> ApiResult<Vec<Version>> {
    let rows = sqlx::query!(
        "SELECT version, name, fields FROM form_versions WHERE form_id = $1 AND version = ANY($2) ORDER BY version",
        form_id,
        which
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|r| -> ApiResult<Version> {
            Ok(Version { version: r.version, name: r.name, fields: definition::stored(&r.fields)? })
        })
        .collect()
}

/// Every version of a form, oldest first.
pub async fn all_versions(tx: &mut Tx, form_id: Uuid) -> ApiResult<Vec<Version>> {
    let rows =
        sqlx::query!("SELECT version, name, fields FROM form_versions WHERE form_id = $1 ORDER BY version", form_id)
            .fetch_all(&mut **tx)
            .await?;
    rows.into_iter()
        .map(|r| -> ApiResult<Version> {
            Ok(Version { version: r.version, name: r.name, fields: definition::stored(&r.fields)? })
        })
        .collect()
}
