//! The CSV export of a form's responses, streamed: responses are read in keyset batches of
//! 500, each in a short tenant transaction of its own, and each batch is written out as
//! it comes, so the file is never built whole in memory and no transaction stays open
//! while the client reads.
//!
//! Columns: response id, submitted_at, appointment id, appointment start, customer name,
//! customer email, then one per field id across every version of the form, in the order
//! the versions first had them, headed by the latest label. A multiple choice answer is
//! its choices joined with "; ". RFC 4180: a header row, CRLF line ends, quotes around a
//! cell that holds a comma, quote or line break (its quotes doubled). A cell a spreadsheet
//! would run as a formula (one starting with = + - @, a tab or a carriage return) gets a
//! single quote in front, negative numbers included.

use axum::body::{Body, Bytes};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::Value;
use shared::{ApiResult, App};
use uuid::Uuid;

use crate::model::{self, ResponseRow, Version};

/// Responses read per query.
const BATCH: i64 = 500;

/// The columns before the answers.
const FIXED: [&str; 6] =
    ["response_id", "submitted_at", "appointment_id", "appointment_start", "customer_name", "customer_email"];

/// One answer column: a field id, headed by its latest label.
#[derive(Debug, PartialEq)]
struct Column {
    field_id: String,
    label: String,
}

/// A form's responses as a CSV response body; the columns are fixed when it is made.
pub struct Export {
    app: App,
    business_id: Uuid,
    form_id: Uuid,
    appointment_id: Option<Uuid>,
    columns: Vec<Column>,
}

impl Export {
    /// The export of the form whose versions (all of them, oldest first) are `versions`;
    /// `appointment_id` narrows it to that appointment's response.
    pub fn new(
        app: App,
        business_id: Uuid,
        form_id: Uuid,
        appointment_id: Option<Uuid>,
        versions: &[Version],
    ) -> Export {
        Export { app, business_id, form_id, appointment_id, columns: columns(versions) }
    }

    fn header(&self) -> Bytes {
        let mut out = String::new();
        write_record(&mut out, FIXED.iter().copied().chain(self.columns.iter().map(|c| c.label.as_str())));
        Bytes::from(out)
    }

    /// The next batch of rows after `after`, or `None` when there are no more.
    async fn batch(&self, after: Uuid) -> ApiResult<Option<Batch>> {
        let mut tx = self.app.db.tenant_tx(self.business_id).await?;
        let rows = model::responses(&mut tx, self.form_id, self.appointment_id, after, BATCH).await?;
        tx.commit().await?;
        let Some(last) = rows.last().map(|r| r.id) else { return Ok(None) };
        let mut out = String::new();
        for row in &rows {
            self.write_row(&mut out, row);
        }
        Ok(Some(Batch { bytes: Bytes::from(out), last, full: rows.len() as i64 == BATCH }))
    }

    fn write_row(&self, out: &mut String, row: &ResponseRow) {
        let fixed = [
            row.id.to_string(),
            timestamp(row.submitted_at),
            row.appointment_id.to_string(),
            timestamp(row.appointment_start),
            row.customer_name.clone(),
            row.customer_email.clone(),
        ];
        let answers = self.columns.iter().map(|c| answer_text(row.answers.get(&c.field_id)));
        write_record(out, fixed.into_iter().chain(answers));
    }
}

struct Batch {
    bytes: Bytes,
    last: Uuid,
    /// A whole batch: there may be more after it.
    full: bool,
}

/// Where the stream is.
enum Step {
    Header,
    After(Uuid),
    Done,
}

struct Progress {
    export: Export,
    step: Step,
}

impl IntoResponse for Export {
    fn into_response(self) -> Response {
        let disposition = format!("attachment; filename=\"form-{}-responses.csv\"", self.form_id);
        let progress = Progress { export: self, step: Step::Header };
        let body = Body::from_stream(futures_util::stream::unfold(progress, next));
        let headers =
            [(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()), (header::CONTENT_DISPOSITION, disposition)];
        (headers, body).into_response()
    }
}

/// The stream's next chunk: the header row, then one chunk per batch. An error ends the
/// body early (the client sees a cut-off transfer, not a complete-looking file).
async fn next(mut progress: Progress) -> Option<(ApiResult<Bytes>, Progress)> {
    match progress.step {
        Step::Done => None,
        Step::Header => {
            let header = progress.export.header();
            progress.step = Step::After(Uuid::nil());
            Some((Ok(header), progress))
        }
        Step::After(after) => match progress.export.batch(after).await {
            Ok(None) => None,
            Ok(Some(batch)) => {
                progress.step = if batch.full { Step::After(batch.last) } else { Step::Done };
                Some((Ok(batch.bytes), progress))
            }
            Err(e) => {
                tracing::warn!(form_id = %progress.export.form_id, error = %e, "the CSV export stopped");
                progress.step = Step::Done;
                Some((Err(e), progress))
            }
        },
    }
}

/// One column per field id in the order the versions (oldest first) introduced them,
/// each headed by the label of the latest version that has it.
fn columns(versions: &[Version]) -> Vec<Column> {
    let mut columns: Vec<Column> = Vec::new();
    for field in versions.iter().flat_map(|v| &v.fields) {
        match columns.iter_mut().find(|c| c.field_id == field.id) {
            Some(column) => column.label.clone_from(&field.label),
            None => columns.push(Column { field_id: field.id.clone(), label: field.label.clone() }),
        }
    }
    columns
}

fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// An answer as cell text: empty when unanswered, choices joined with "; ".
fn answer_text(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => items.iter().map(|v| answer_text(Some(v))).collect::<Vec<_>>().join("; "),
        Some(other) => other.to_string(),
    }
}

/// One CSV line: the cells, comma-separated, ended by CRLF.
fn write_record<S: AsRef<str>>(out: &mut String, cells: impl IntoIterator<Item = S>) {
    for (i, cell) in cells.into_iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_cell(out, cell.as_ref());
    }
    out.push_str("\r\n");
}

fn write_cell(out: &mut String, raw: &str) {
    let formula = raw.starts_with(['=', '+', '-', '@', '\t', '\r']);
    let quoted = raw.contains([',', '"', '\r', '\n']);
    if quoted {
        out.push('"');
    }
    if formula {
        out.push('\'');
    }
    if quoted {
        out.push_str(&raw.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(raw);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::parse;
    use serde_json::json;

    fn version(n: i32, fields: Value) -> Version {
        Version { version: n, name: "Form".into(), fields: parse(fields.as_array().unwrap()).unwrap() }
    }

    #[test]
    fn quotes_and_defuses_cells() {
        let mut out = String::new();
        write_record(&mut out, ["plain", "a,b", "say \"hi\"", "two\nlines", "=1+1", "-5", "@x", "+ \"q\""]);
        assert_eq!(out, "plain,\"a,b\",\"say \"\"hi\"\"\",\"two\nlines\",'=1+1,'-5,'@x,\"'+ \"\"q\"\"\"\r\n");
    }

    #[test]
    fn one_column_per_field_id_across_versions_with_the_latest_label() {
        let versions = [
            version(
                1,
                json!([{"id": "a", "type": "text", "label": "A1"},
                              {"id": "old", "type": "date", "label": "O"}]),
            ),
            version(2, json!([{"id": "b", "type": "email", "label": "B"}, {"id": "a", "type": "text", "label": "A2"}])),
        ];
        let cols = columns(&versions);
        let labels: Vec<(&str, &str)> = cols.iter().map(|c| (c.field_id.as_str(), c.label.as_str())).collect();
        assert_eq!(labels, [("a", "A2"), ("old", "O"), ("b", "B")]);
        assert_eq!(answer_text(Some(&json!(["x", "y"]))), "x; y");
        assert_eq!(answer_text(Some(&json!(true))), "true");
        assert_eq!(answer_text(Some(&json!(4.5))), "4.5");
        assert_eq!(answer_text(None), "");
    }
}
