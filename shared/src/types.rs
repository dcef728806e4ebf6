//! Domain types that parse on construction: holding one means the value is valid.
//!
//! Each deserializes from its plain JSON form and refuses anything invalid, so a handler's
//! request struct made of these types is validated by the time the handler runs.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

macro_rules! string_type {
    ($name:ident) => {
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl TryFrom<String> for $name {
            type Error = String;
            fn try_from(value: String) -> Result<Self, String> {
                $name::parse(&value)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }
    };
}

/// An email address, trimmed and lower-cased.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Email(String);
string_type!(Email);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        let value = raw.trim().to_lowercase();
        let valid = value.len() <= 254
            && value.split_once('@').is_some_and(|(local, domain)| {
                !local.is_empty()
                    && domain.contains('.')
                    && !domain.starts_with('.')
                    && !domain.ends_with('.')
                    && !value.chars().any(|c| c.is_whitespace() || c == ',' || c == ';')
                    && !domain.contains('@')
            });
        if valid { Ok(Email(value)) } else { Err("is not a valid email address".into()) }
    }
}

/// A display name: trimmed, 1 to 200 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Name(String);
string_type!(Name);

impl Name {
    pub fn parse(raw: &str) -> Result<Name, String> {
        let value = raw.trim();
        if value.is_empty() {
            return Err("must not be empty".into());
        }
        if value.chars().count() > 200 {
            return Err("must be at most 200 characters".into());
        }
        if value.chars().any(char::is_control) {
            return Err("must not contain control characters".into());
        }
        Ok(Name(value.to_owned()))
    }
}

/// Free text up to 2000 characters (descriptions, notes); trimmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Text(String);
string_type!(Text);

impl Text {
    pub fn parse(raw: &str) -> Result<Text, String> {
        let value = raw.trim();
        if value.chars().count() > 2000 {
            return Err("must be at most 2000 characters".into());
        }
        Ok(Text(value.to_owned()))
    }
}

/// A label a business puts on customers (`vip`, `newsletter`): trimmed, lower-cased,
/// 1 to 40 letters, digits, `-` or `_`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Tag(String);
string_type!(Tag);

impl Tag {
    pub fn parse(raw: &str) -> Result<Tag, String> {
        let value = raw.trim().to_lowercase();
        let n = value.chars().count();
        if n == 0 || n > 40 {
            return Err("must be 1 to 40 characters".into());
        }
        if !value.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_') {
            return Err("may hold only letters, digits, '-' and '_'".into());
        }
        Ok(Tag(value))
    }
}

/// A phone number in E.164 form (`+` and 8 to 15 digits); spaces, dashes, dots and
/// parentheses are dropped on the way in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Phone(String);
string_type!(Phone);

impl Phone {
    pub fn parse(raw: &str) -> Result<Phone, String> {
        let value: String = raw.chars().filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')')).collect();
        let digits = value.strip_prefix('+').unwrap_or("");
        if (8..=15).contains(&digits.len()) && digits.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Phone(value))
        } else {
            Err("must be an international number such as +4930123456".into())
        }
    }
}

/// An IANA time zone name such as `Europe/Berlin`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct TimeZone(pub chrono_tz::Tz);

impl TimeZone {
    pub fn parse(raw: &str) -> Result<TimeZone, String> {
        chrono_tz::Tz::from_str(raw.trim())
            .map(TimeZone)
            .map_err(|_| "is not an IANA time zone such as Europe/Berlin".into())
    }
    pub fn name(&self) -> &'static str {
        self.0.name()
    }
}

impl Serialize for TimeZone {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.name())
    }
}

impl<'de> Deserialize<'de> for TimeZone {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        TimeZone::parse(&raw).map_err(serde::de::Error::custom)
    }
}

/// An http(s) URL, at most 500 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Url(String);
string_type!(Url);

impl Url {
    pub fn parse(raw: &str) -> Result<Url, String> {
        let value = raw.trim();
        let rest = value.strip_prefix("https://").or_else(|| value.strip_prefix("http://"));
        match rest {
            Some(rest) if !rest.is_empty() && value.len() <= 500 && !value.contains(char::is_whitespace) => {
                Ok(Url(value.to_owned()))
            }
            _ => Err("must be an http(s) URL".into()),
        }
    }
}

/// A language tag such as `en` or `de-DE`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Locale(String);
string_type!(Locale);

impl Locale {
    pub fn parse(raw: &str) -> Result<Locale, String> {
        let (lang, region) = match raw.split_once('-') {
            Some((l, r)) => (l, Some(r)),
            None => (raw, None),
        };
        let lang_ok = (2..=3).contains(&lang.len()) && lang.bytes().all(|b| b.is_ascii_lowercase());
        let region_ok = region.is_none_or(|r| r.len() == 2 && r.bytes().all(|b| b.is_ascii_uppercase()));
        if lang_ok && region_ok {
            Ok(Locale(raw.to_owned()))
        } else {
            Err("must be a language tag such as en or de-DE".into())
        }
    }
}

/// An ISO 3166-1 alpha-2 country code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Country(String);
string_type!(Country);

impl Country {
    pub fn parse(raw: &str) -> Result<Country, String> {
        let value = raw.trim().to_uppercase();
        if value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Country(value))
        } else {
            Err("must be a two-letter country code such as DE".into())
        }
    }
}

/// An ISO 4217 currency code, upper case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency(String);
string_type!(Currency);

impl Currency {
    pub fn parse(raw: &str) -> Result<Currency, String> {
        let value = raw.trim().to_uppercase();
        if value.len() == 3 && value.bytes().all(|b| b.is_ascii_uppercase()) {
            Ok(Currency(value))
        } else {
            Err("must be an ISO 4217 code such as EUR".into())
        }
    }
}

/// An amount of money in minor units (cents) and its currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Money {
    pub amount: MinorUnits,
    pub currency: Currency,
}

/// A non-negative amount in minor units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct MinorUnits(i64);

impl MinorUnits {
    pub fn get(self) -> i64 {
        self.0
    }
}

impl TryFrom<i64> for MinorUnits {
    type Error = String;
    fn try_from(value: i64) -> Result<Self, String> {
        if (0..=10_000_000_000).contains(&value) {
            Ok(MinorUnits(value))
        } else {
            Err("must be between 0 and 10000000000 minor units".into())
        }
    }
}

impl From<MinorUnits> for i64 {
    fn from(value: MinorUnits) -> i64 {
        value.0
    }
}

/// A whole number (minutes, days) within the range the type parameters fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i32")]
pub struct Bounded<const MIN: i32, const MAX: i32>(i32);

impl<const MIN: i32, const MAX: i32> Bounded<MIN, MAX> {
    pub fn get(self) -> i32 {
        self.0
    }
}

impl<const MIN: i32, const MAX: i32> TryFrom<i64> for Bounded<MIN, MAX> {
    type Error = String;
    fn try_from(value: i64) -> Result<Self, String> {
        if (i64::from(MIN)..=i64::from(MAX)).contains(&value) {
            Ok(Bounded(value as i32))
        } else {
            Err(format!("must be between {MIN} and {MAX}"))
        }
    }
}

impl<const MIN: i32, const MAX: i32> From<Bounded<MIN, MAX>> for i32 {
    fn from(value: Bounded<MIN, MAX>) -> i32 {
        value.0
    }
}

/// A password as submitted: 10 to 256 characters. Never serialized.
#[derive(Clone, Deserialize)]
#[serde(try_from = "String")]
pub struct Password(String);

impl Password {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(***)")
    }
}

impl TryFrom<String> for Password {
    type Error = String;
    fn try_from(value: String) -> Result<Self, String> {
        let n = value.chars().count();
        if n < 10 {
            Err("must be at least 10 characters".into())
        } else if n > 256 {
            Err("must be at most 256 characters".into())
        } else {
            Ok(Password(value))
        }
    }
}

/// A value that a PATCH may set, clear (`null`) or leave alone (absent).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Patch<T> {
    #[default]
    Keep,
    Clear,
    Set(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Patch<T> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(match Option::<T>::deserialize(d)? {
            None => Patch::Clear,
            Some(v) => Patch::Set(v),
        })
    }
}

impl<T: AsRef<str>> Patch<T> {
    /// For SQL: whether to write the column, and the value to write.
    pub fn sql(&self) -> (bool, Option<&str>) {
        match self {
            Patch::Keep => (false, None),
            Patch::Clear => (true, None),
            Patch::Set(v) => (true, Some(v.as_ref())),
        }
    }
}

impl<T> Patch<T> {
    /// Whether the request touches this field, and if so its new value.
    pub fn into_change(self) -> Option<Option<T>> {
        match self {
            Patch::Keep => None,
            Patch::Clear => Some(None),
            Patch::Set(v) => Some(Some(v)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails() {
        assert_eq!(Email::parse(" Ann@Example.COM ").unwrap().as_ref(), "ann@example.com");
        for bad in ["", "ann", "@example.com", "ann@", "ann@example", "a b@example.com", "a@b@c.com"] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_phones_zones_currencies() {
        assert!(Name::parse("  ").is_err());
        assert_eq!(Name::parse(" Ann ").unwrap().as_ref(), "Ann");
        assert_eq!(Phone::parse("+49 (30) 123-456").unwrap().as_ref(), "+4930123456");
        assert!(Phone::parse("030 123456").is_err());
        assert_eq!(TimeZone::parse("Asia/Kolkata").unwrap().name(), "Asia/Kolkata");
        assert!(TimeZone::parse("Mars/Olympus").is_err());
        assert_eq!(Currency::parse("eur").unwrap().as_ref(), "EUR");
        assert!(Currency::parse("EURO").is_err());
        assert!(Bounded::<1, 10>::try_from(11).is_err());
        assert_eq!(Url::parse("https://a.example").unwrap().as_ref(), "https://a.example");
        assert!(Url::parse("javascript:alert(1)").is_err());
        assert!(Locale::parse("de-DE").is_ok() && Locale::parse("german").is_err());
        assert_eq!(Country::parse("de").unwrap().as_ref(), "DE");
    }
}
