//! The answers customers gave to one form, archived or not: a page of JSON, each answer
//! beside the label its version gave the question, or with `Accept: text/csv` the whole
//! set as a streamed CSV file (see [`crate::csv`]). Pages and the file are in response id
//! order, which is the order of first submission (an answer given again keeps its id).

use std::collections::HashMap;

use axum::extract::State;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use shared::page::{Cursor, Limit, Page, PageParams};
use shared::{Access, ApiResult, App, Auth, Json, Operation, Path, Permission, Query};
use uuid::Uuid;

use crate::model::{self, ResponseRow, Version};

pub const OP: Operation = Operation::http(
    "forms",
    "form-responses-list",
    "GET",
    "/v1/forms/{form_id}/responses",
    Access::Can(Permission::ViewForms),
    "List a form's responses (JSON pages, or CSV)",
    || get(handler),
)
// A large export takes a while: the stream reads it in batches of 500.
.timeout(29);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListResponses {
    /// Only this appointment's response.
    pub appointment_id: Option<Uuid>,
    /// JSON pages only; the CSV file is always the whole set.
    pub cursor: Option<Cursor>,
    pub limit: Option<Limit>,
}

#[derive(Debug, Serialize)]
pub struct FormResponse {
    pub id: Uuid,
    pub form_id: Uuid,
    /// The version answered; its labels are the ones shown in `answers`.
    pub version: i32,
    pub submitted_at: DateTime<Utc>,
    pub appointment_id: Uuid,
    pub appointment_start: DateTime<Utc>,
    pub customer: Customer,
    /// Every field of the answered version in its order; `value` is null when unanswered.
    pub answers: Vec<Answer>,
}

#[derive(Debug, Serialize)]
pub struct Customer {
    pub id: Uuid,
    pub name: String,
    pub email: String,
}

#[derive(Debug, Serialize)]
pub struct Answer {
    pub field_id: String,
    pub label: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub value: Value,
}

async fn handler(
    auth: Auth,
    State(app): State<App>,
    Path(form_id): Path<Uuid>,
    Query(query): Query<ListResponses>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let mut tx = app.db.tenant_tx(auth.business_id).await?;
    model::exists(&mut tx, form_id).await?;
    if wants_csv(&headers) {
        let versions = model::all_versions(&mut tx, form_id).await?;
        tx.commit().await?;
        let export = crate::csv::Export::new(app, auth.business_id, form_id, query.appointment_id, &versions);
        return Ok(export.into_response());
    }
    let page = PageParams { cursor: query.cursor, limit: query.limit };
    let rows = model::responses(&mut tx, form_id, query.appointment_id, page.after(), page.fetch()).await?;
    let mut answered: Vec<i32> = rows.iter().map(|r| r.version).collect();
    answered.sort_unstable();
    answered.dedup();
    let versions = model::versions(&mut tx, form_id, &answered).await?;
    tx.commit().await?;
    let by_version: HashMap<i32, &Version> = versions.iter().map(|v| (v.version, v)).collect();
    let data: Vec<FormResponse> = rows
        .into_iter()
        .map(|row| {
            let version = by_version.get(&row.version).copied();
            view(form_id, row, version)
        })
        .collect();
    Ok(Json(Page::from_rows(data, &page, |r| r.id)).into_response())
}

fn view(form_id: Uuid, row: ResponseRow, version: Option<&Version>) -> FormResponse {
    let answers: Vec<Answer> = version
        .map(|v| {
            v.fields
                .iter()
                .map(|f| Answer {
                    field_id: f.id.clone(),
                    label: f.label.clone(),
                    kind: f.kind.name(),
                    value: row.answers.get(&f.id).cloned().unwrap_or(Value::Null),
                })
                .collect()
        })
        .unwrap_or_default();
    FormResponse {
        id: row.id,
        form_id,
        version: row.version,
        submitted_at: row.submitted_at,
        appointment_id: row.appointment_id,
        appointment_start: row.appointment_start,
        customer: Customer { id: row.customer_id, name: row.customer_name, email: row.customer_email },
        answers,
    }
}

/// Whether the caller asked for CSV: of `text/csv` and `application/json`, whichever the
/// Accept header names first (JSON when it names neither).
fn wants_csv(headers: &HeaderMap) -> bool {
    let ranges = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|range| range.split(';').next().unwrap_or_default().trim().to_ascii_lowercase());
    for range in ranges {
        match range.as_str() {
            "text/csv" => return true,
            "application/json" => return false,
            _ => {}
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_is_chosen_by_the_accept_header() {
        let accept = |v: &str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT, v.parse().unwrap());
            wants_csv(&h)
        };
        assert!(accept("text/csv"));
        assert!(accept("Text/CSV; charset=utf-8, application/json;q=0.5"));
        assert!(!accept("application/json, text/csv"));
        assert!(!accept("*/*"));
        assert!(!wants_csv(&HeaderMap::new()));
    }
}
