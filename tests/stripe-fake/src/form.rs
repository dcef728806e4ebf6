//! Request parameters in Stripe's form encoding.
//!
//! The SDK sends nested parameters in bracket notation, percent-encoded
//! (`line_items%5B0%5D%5Bprice%5D=price_x`), in the body of POST and DELETE requests and in
//! the query string of GET requests. Handlers read them by their decoded flat key
//! (`line_items[0][price]`), which keeps each lookup as readable as Stripe's API reference.

use std::collections::BTreeMap;

use crate::error::ApiError;

/// The decoded key-value pairs of one request, in the order they were sent.
#[derive(Debug, Default, Clone)]
pub(crate) struct Form {
    pairs: Vec<(String, String)>,
}

impl Form {
    pub fn parse(raw: &[u8]) -> Self {
        Form { pairs: form_urlencoded::parse(raw).into_owned().collect() }
    }

    /// A request's query string and body together: Stripe reads parameters from both.
    pub fn from_query_and_body(query: &str, body: &[u8]) -> Self {
        let mut form = Self::parse(query.as_bytes());
        form.pairs.extend(Self::parse(body).pairs);
        form
    }

    /// The value sent for `key`; when a key is repeated the last one counts.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.pairs.iter().rev().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }

    /// A parameter Stripe requires: missing or empty is answered with `parameter_missing`.
    pub fn required(&self, key: &str) -> Result<&str, ApiError> {
        self.get(key).filter(|v| !v.is_empty()).ok_or_else(|| ApiError::missing(key))
    }

    pub fn int(&self, key: &str) -> Result<Option<i64>, ApiError> {
        self.get(key).map(|v| v.parse().map_err(|_| ApiError::invalid_integer(key, v))).transpose()
    }

    pub fn bool(&self, key: &str) -> Result<Option<bool>, ApiError> {
        self.get(key)
            .map(|v| match v {
                "true" => Ok(true),
                "false" => Ok(false),
                other => Err(ApiError::invalid(key, format!("Invalid boolean: {other}"))),
            })
            .transpose()
    }

    /// An enum parameter: one of `allowed`, or an error listing them the way Stripe does.
    pub fn one_of<'a>(&self, key: &str, allowed: &[&'a str]) -> Result<Option<&'a str>, ApiError> {
        let Some(value) = self.get(key) else { return Ok(None) };
        allowed
            .iter()
            .find(|a| **a == value)
            .copied()
            .map(Some)
            .ok_or_else(|| ApiError::invalid(key, format!("Invalid {key}: must be one of {}", allowed.join(", "))))
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.pairs.iter().map(|(k, _)| k.as_str())
    }

    /// The values of a list parameter, whichever way it was indexed: `expand[0]`, `expand[]`.
    pub fn values(&self, key: &str) -> Vec<&str> {
        let open = format!("{key}[");
        self.pairs
            .iter()
            .filter(|(k, _)| k.strip_prefix(&open).is_some_and(|rest| is_index(rest.trim_end_matches(']'))))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// Applies a hash parameter such as `metadata[k]=v` onto `target` with Stripe's update
    /// rules: an empty value unsets that key, and an empty `metadata=` clears them all.
    pub fn apply_hash(&self, key: &str, target: &mut BTreeMap<String, String>) {
        if self.get(key) == Some("") {
            target.clear();
        }
        for (name, value) in self.hash_entries(key) {
            if value.is_empty() {
                target.remove(name);
            } else {
                target.insert(name.to_owned(), value.to_owned());
            }
        }
    }

    /// A fresh hash from a create request, such as `metadata[k]=v`.
    pub fn hash(&self, key: &str) -> BTreeMap<String, String> {
        let mut map = BTreeMap::new();
        self.apply_hash(key, &mut map);
        map
    }

    fn hash_entries<'a>(&'a self, key: &str) -> impl Iterator<Item = (&'a str, &'a str)> {
        let open = format!("{key}[");
        self.pairs.iter().filter_map(move |(k, v)| {
            let name = k.strip_prefix(&open)?.strip_suffix(']')?;
            (!name.contains('[')).then_some((name, v.as_str()))
        })
    }

    /// The parameters as a sorted list: two requests with the same parameters compare equal
    /// however the client ordered them, which is what idempotency keys are checked against.
    pub fn canonical(&self) -> Vec<(String, String)> {
        let mut pairs = self.pairs.clone();
        pairs.sort();
        pairs
    }
}

fn is_index(s: &str) -> bool {
    s.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_percent_encoded_brackets() {
        let form = Form::parse(b"line_items%5B0%5D%5Bprice%5D=price_x&expand%5B0%5D=subscription&expand[]=customer");
        assert_eq!(form.get("line_items[0][price]"), Some("price_x"));
        assert_eq!(form.values("expand"), ["subscription", "customer"]);
    }

    #[test]
    fn hashes_follow_stripes_update_rules() {
        let form = Form::parse(b"metadata[a]=1&metadata[b]=&subscription_data[metadata][c]=3");
        let mut target = BTreeMap::from([("b".to_owned(), "old".to_owned()), ("z".to_owned(), "kept".to_owned())]);
        form.apply_hash("metadata", &mut target);
        assert_eq!(target, BTreeMap::from([("a".into(), "1".into()), ("z".into(), "kept".into())]));
        assert_eq!(form.hash("subscription_data[metadata]"), BTreeMap::from([("c".into(), "3".into())]));
    }

    #[test]
    fn typed_values_are_checked() {
        let form = Form::parse(b"n=abc&flag=yes&mode=subscription");
        assert_eq!(form.int("n").unwrap_err().body()["error"]["code"], "parameter_invalid_integer");
        assert!(form.bool("flag").is_err());
        assert_eq!(form.one_of("mode", &["payment", "subscription"]).unwrap(), Some("subscription"));
        assert_eq!(form.required("missing").unwrap_err().status, 400);
    }
}
