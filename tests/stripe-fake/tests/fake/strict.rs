//! Parsing with the SDK's serde structs while checking the field set.
//!
//! serde ignores unknown keys and lets every `Option` field be absent, so a plain parse
//! would pass objects that lack half of Stripe's fields. This deserializer wraps a JSON
//! value and, whenever a derived struct asks for its fields, compares them with the keys
//! present: a missing field or a key the struct does not know is recorded as a problem.

use std::cell::RefCell;

use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, SeqAccess, Visitor};
use serde::forward_to_deserialize_any;
use serde_json::{Map, Value};

/// Parses `value` as `T` and fails the test on any missing or unexpected field, except
/// the fields named in `may_lack` (at any depth).
pub fn parse_allowing<T: DeserializeOwned>(value: &Value, may_lack: &[&str]) -> T {
    let problems = RefCell::new(Vec::new());
    let strict = Strict { value: value.clone(), path: String::new(), may_lack, problems: &problems };
    let parsed = T::deserialize(strict);
    let name = std::any::type_name::<T>();
    let problems = problems.into_inner();
    assert!(problems.is_empty(), "{name} field set differs:\n{}", problems.join("\n"));
    parsed.unwrap_or_else(|e| panic!("{name} does not parse: {e}\n{value:#}"))
}

/// [`parse_allowing`] with nothing allowed to be missing.
pub fn parse<T: DeserializeOwned>(value: &Value) -> T {
    parse_allowing(value, &[])
}

struct Strict<'a> {
    value: Value,
    path: String,
    may_lack: &'a [&'a str],
    problems: &'a RefCell<Vec<String>>,
}

impl<'a> Strict<'a> {
    fn child(&self, value: Value, step: &str) -> Strict<'a> {
        Strict { value, path: format!("{}{step}", self.path), may_lack: self.may_lack, problems: self.problems }
    }

    fn compare(&self, map: &Map<String, Value>, fields: &[&str]) {
        let mut problems = self.problems.borrow_mut();
        for field in fields.iter().filter(|f| !map.contains_key(**f) && !self.may_lack.contains(f)) {
            problems.push(format!("missing {}.{field}", self.path));
        }
        for key in map.keys().filter(|k| k.as_str() != "object" && !fields.contains(&k.as_str())) {
            problems.push(format!("unexpected {}.{key}", self.path));
        }
    }
}

impl<'de> de::Deserializer<'de> for Strict<'_> {
    type Error = serde_json::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        match self.value {
            Value::Object(ref map) => {
                let entries: Vec<(String, Value)> = map.clone().into_iter().collect();
                visitor.visit_map(Entries { owner: &self, entries: entries.into_iter(), next: None })
            }
            Value::Array(ref items) => {
                let items: Vec<Value> = items.clone();
                visitor.visit_seq(Items { owner: &self, items: items.into_iter().enumerate() })
            }
            other => other.deserialize_any(visitor),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Self::Error> {
        if self.value.is_null() { visitor.visit_none() } else { visitor.visit_some(self) }
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        if let Value::Object(map) = &self.value {
            self.compare(map, fields);
        }
        self.deserialize_any(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, Self::Error> {
        self.value.deserialize_enum(name, variants, visitor)
    }

    forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf unit
        unit_struct seq tuple tuple_struct map identifier ignored_any
    }
}

struct Entries<'s, 'a> {
    owner: &'s Strict<'a>,
    entries: std::vec::IntoIter<(String, Value)>,
    next: Option<(String, Value)>,
}

impl<'de> MapAccess<'de> for Entries<'_, '_> {
    type Error = serde_json::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, Self::Error> {
        let Some((key, value)) = self.entries.next() else { return Ok(None) };
        let parsed = seed.deserialize(key.clone().into_deserializer()).map(Some);
        self.next = Some((key, value));
        parsed
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, Self::Error> {
        let (key, value) = self.next.take().ok_or_else(|| de::Error::custom("value without a key"))?;
        seed.deserialize(self.owner.child(value, &format!(".{key}")))
    }
}

struct Items<'s, 'a> {
    owner: &'s Strict<'a>,
    items: std::iter::Enumerate<std::vec::IntoIter<Value>>,
}

impl<'de> SeqAccess<'de> for Items<'_, '_> {
    type Error = serde_json::Error;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>, Self::Error> {
        let Some((index, item)) = self.items.next() else { return Ok(None) };
        seed.deserialize(self.owner.child(item, &format!("[{index}]"))).map(Some)
    }
}
