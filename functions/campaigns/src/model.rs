//! A campaign as the API shows it, its audience, and the placeholders its text may use.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use shared::db::Tx;
use shared::page::PageParams;
use shared::types::{Bounded, Tag};
use shared::{ApiError, ApiResult};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[serde(rename_all = "snake_case")]
#[sqlx(type_name = "text", rename_all = "snake_case")]
pub enum Status {
    Draft,
    /// The audience is snapshotted; batches are handing it to the email queue.
    Sending,
    /// Every recipient was handed to the email queue (the stats say how delivery went).
    Sent,
    Cancelled,
}

/// Who receives a campaign, among the customers who consented to marketing and did not
/// unsubscribe. Given as [`AudienceInput`] (so a bad value is named by its own field).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Audience {
    /// Every such customer.
    All,
    /// Customers with an appointment (not cancelled) for this service.
    Service { service_id: Uuid },
    /// Customers who came before but have no appointment in the last `days` days or later.
    Lapsed { days: Bounded<1, 3650> },
    /// Customers carrying this tag.
    Tag { tag: Tag },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AudienceKind {
    All,
    Service,
    Lapsed,
    Tag,
}

/// An audience as a request gives it: `{kind, service_id?, days?, tag?}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AudienceInput {
    pub kind: AudienceKind,
    pub service_id: Option<Uuid>,
    pub days: Option<Bounded<1, 3650>>,
    pub tag: Option<Tag>,
}

impl AudienceInput {
    /// The audience, or 422 naming the value its kind needs.
    pub fn audience(&self) -> ApiResult<Audience> {
        let needs =
            |field: &str| ApiError::validation(format!("audience.{field}"), "is required for this kind of audience");
        let extra = [
            ("service_id", self.service_id.is_some() && self.kind != AudienceKind::Service),
            ("days", self.days.is_some() && self.kind != AudienceKind::Lapsed),
            ("tag", self.tag.is_some() && self.kind != AudienceKind::Tag),
        ];
        if let Some((field, _)) = extra.iter().find(|(_, given)| *given) {
            return Err(ApiError::validation(format!("audience.{field}"), "does not apply to this kind of audience"));
        }
        Ok(match self.kind {
            AudienceKind::All => Audience::All,
            AudienceKind::Service => {
                Audience::Service { service_id: self.service_id.ok_or_else(|| needs("service_id"))? }
            }
            AudienceKind::Lapsed => Audience::Lapsed { days: self.days.ok_or_else(|| needs("days"))? },
            AudienceKind::Tag => Audience::Tag { tag: self.tag.clone().ok_or_else(|| needs("tag"))? },
        })
    }
}

impl Audience {
    /// The columns it is stored in: (kind, service, days, tag).
    pub fn columns(&self) -> (&'static str, Option<Uuid>, Option<i32>, Option<&str>) {
        match self {
            Audience::All => ("all", None, None, None),
            Audience::Service { service_id } => ("service", Some(*service_id), None, None),
            Audience::Lapsed { days } => ("lapsed", None, Some(days.get()), None),
            Audience::Tag { tag } => ("tag", None, None, Some(tag.as_ref())),
        }
    }

    fn from_columns(
        kind: &str,
        service_id: Option<Uuid>,
        days: Option<i32>,
        tag: Option<String>,
    ) -> ApiResult<Audience> {
        let bad = || ApiError::internal(format!("campaign audience {kind} without its value"));
        Ok(match kind {
            "all" => Audience::All,
            "service" => Audience::Service { service_id: service_id.ok_or_else(bad)? },
            "lapsed" => {
                Audience::Lapsed { days: i64::from(days.ok_or_else(bad)?).try_into().map_err(ApiError::internal)? }
            }
            "tag" => Audience::Tag { tag: Tag::parse(&tag.ok_or_else(bad)?).map_err(ApiError::internal)? },
            other => return Err(ApiError::internal(format!("unknown campaign audience {other}"))),
        })
    }
}

#[derive(Debug, Serialize)]
pub struct Campaign {
    pub id: Uuid,
    pub name: String,
    pub subject: String,
    pub body: String,
    pub audience: Audience,
    pub status: Status,
    /// How many customers the audience held when sending began.
    pub recipients: Option<i32>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub send_started_at: Option<DateTime<Utc>>,
    pub sent_at: Option<DateTime<Utc>>,
    pub cancelled_at: Option<DateTime<Utc>>,
}

pub async fn fetch(tx: &mut Tx, id: Uuid) -> ApiResult<Campaign> {
    let found = select(tx, Some(id), &PageParams::default()).await?;
    found.into_iter().next().ok_or_else(|| ApiError::not_found("campaign"))
}

/// Campaigns in id order after the page's cursor; `id` narrows to that one.
pub async fn select(tx: &mut Tx, id: Option<Uuid>, page: &PageParams) -> ApiResult<Vec<Campaign>> {
    let rows = sqlx::query!(
        r#"SELECT id, name, subject, body, audience, audience_service_id, audience_days, audience_tag,
                  status AS "status: Status", recipients, created_at, updated_at, send_started_at, sent_at, cancelled_at
           FROM campaigns WHERE ($1::uuid IS NULL OR id = $1) AND id > $2 ORDER BY id LIMIT $3"#,
        id,
        page.after(),
        page.fetch()
    )
    .fetch_all(&mut **tx)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(Campaign {
                audience: Audience::from_columns(&r.audience, r.audience_service_id, r.audience_days, r.audience_tag)?,
                id: r.id,
                name: r.name,
                subject: r.subject,
                body: r.body,
                status: r.status,
                recipients: r.recipients,
                created_at: r.created_at,
                updated_at: r.updated_at,
                send_started_at: r.send_started_at,
                sent_at: r.sent_at,
                cancelled_at: r.cancelled_at,
            })
        })
        .collect()
}

/// The placeholders a subject or body may use, each replaced per recipient.
pub const PLACEHOLDERS: &[&str] = &["name", "first_name", "business_name"];

/// The campaign's body: plain text up to 20,000 characters, paragraphs separated by a
/// blank line, with only the known placeholders.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Body(String);

impl TryFrom<String> for Body {
    type Error = String;
    fn try_from(raw: String) -> Result<Body, String> {
        let value = raw.trim().replace("\r\n", "\n");
        if value.is_empty() {
            return Err("must not be empty".into());
        }
        if value.chars().count() > 20_000 {
            return Err("must be at most 20000 characters".into());
        }
        check_placeholders(&value)?;
        Ok(Body(value))
    }
}

impl From<Body> for String {
    fn from(b: Body) -> String {
        b.0
    }
}

impl AsRef<str> for Body {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// A subject line: 1 to 200 characters on one line, with only the known placeholders.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Subject(String);

impl TryFrom<String> for Subject {
    type Error = String;
    fn try_from(raw: String) -> Result<Subject, String> {
        let value = raw.trim();
        if value.is_empty() || value.chars().count() > 200 {
            return Err("must be 1 to 200 characters".into());
        }
        if value.chars().any(char::is_control) {
            return Err("must be one line".into());
        }
        check_placeholders(value)?;
        Ok(Subject(value.to_owned()))
    }
}

impl From<Subject> for String {
    fn from(s: Subject) -> String {
        s.0
    }
}

impl AsRef<str> for Subject {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

/// Every `{{ … }}` must name a known placeholder.
fn check_placeholders(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else {
            return Err("has a '{{' without its '}}'".into());
        };
        let name = after[..close].trim();
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "uses {{{{{name}}}}}; the placeholders are {{{{name}}}}, {{{{first_name}}}} and {{{{business_name}}}}"
            ));
        }
        rest = &after[close + 2..];
    }
    Ok(())
}

/// The text with each placeholder replaced by its value (`values` in PLACEHOLDERS' order).
pub fn fill(text: &str, values: [&str; 3]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find("{{") {
        out.push_str(&rest[..open]);
        let after = &rest[open + 2..];
        let Some(close) = after.find("}}") else { break };
        let name = after[..close].trim();
        if let Some(i) = PLACEHOLDERS.iter().position(|p| *p == name) {
            out.push_str(values[i]);
        }
        rest = &after[close + 2..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_checked_and_filled() {
        assert!(check_placeholders("Hi {{ first_name }}, {{business_name}} misses you").is_ok());
        assert!(check_placeholders("Hi {{ surname }}").unwrap_err().contains("{{surname}}"));
        assert!(check_placeholders("Hi {{ name").is_err());
        assert_eq!(
            fill("Hi {{ first_name }} from {{business_name}}!", ["Ann Lee", "Ann", "Studio"]),
            "Hi Ann from Studio!"
        );
        assert_eq!(fill("no placeholders", ["a", "b", "c"]), "no placeholders");
    }
}
