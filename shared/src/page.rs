//! Cursor pagination: `{ "data": [...], "next_cursor": "..." | null }`.
//!
//! Lists are ordered by id (UUIDv7, so creation order); the cursor is the last id seen,
//! opaque to clients.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

#[derive(Debug, Clone, Copy, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PageParams {
    pub cursor: Option<Cursor>,
    pub limit: Option<Limit>,
}

impl PageParams {
    /// Rows come after this id.
    pub fn after(&self) -> Uuid {
        self.cursor.map(|c| c.0).unwrap_or(Uuid::nil())
    }
    /// How many rows to fetch: one more than the page holds, to know whether more exist.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit.map(|l| l.0).unwrap_or(50)) + 1
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor(pub Uuid);

impl<'de> Deserialize<'de> for Cursor {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        URL_SAFE_NO_PAD
            .decode(raw.as_bytes())
            .ok()
            .and_then(|b| Uuid::from_slice(&b).ok())
            .map(Cursor)
            .ok_or_else(|| serde::de::Error::custom("is not a cursor from a previous page"))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Limit(u16);

impl TryFrom<String> for Limit {
    type Error = String;
    fn try_from(raw: String) -> Result<Self, String> {
        match raw.parse::<u16>() {
            Ok(n) if (1..=200).contains(&n) => Ok(Limit(n)),
            _ => Err("must be a number from 1 to 200".into()),
        }
    }
}

#[derive(Debug, Serialize)]
pub struct Page<T> {
    pub data: Vec<T>,
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Build a page from up to `params.fetch()` rows ordered by id.
    pub fn from_rows(mut rows: Vec<T>, params: &PageParams, id: impl Fn(&T) -> Uuid) -> Page<T> {
        let size = (params.fetch() - 1) as usize;
        let more = rows.len() > size;
        rows.truncate(size);
        let next_cursor = match rows.last() {
            Some(last) if more => Some(URL_SAFE_NO_PAD.encode(id(last).as_bytes())),
            _ => None,
        };
        Page { data: rows, next_cursor }
    }
}
