//! A form's fields: their types and limits, parsed strictly from a definition's JSON and
//! written back in one normalised shape, the shape every version stores.

use chrono::NaiveDate;
use serde_json::{Map, Number, Value};
use shared::error::FieldError;
use shared::types::Name;
use shared::{ApiError, ApiResult};

/// The most fields a form has, and the most options a choice offers.
pub const MAX_FIELDS: usize = 50;
pub const MAX_OPTIONS: usize = 50;
/// The longest answer a text field may allow, and allows unless its `max_length` says less.
pub const TEXT_MAX_LENGTH: u32 = 200;
pub const LONG_TEXT_MAX_LENGTH: u32 = 5000;
const ID_MAX_LENGTH: usize = 40;

const TYPES: &str = "text, long_text, number, date, single_choice, multiple_choice, checkbox, email, phone";
/// The keys every field has; the rest depend on its type.
const COMMON: &[&str] = &["id", "type", "label", "required"];

/// One question of a form.
#[derive(Debug, Clone, PartialEq)]
pub struct Field {
    /// The owner's stable key for the question (`allergies`); answers are keyed by it.
    pub id: String,
    pub label: String,
    pub required: bool,
    pub kind: Kind,
}

/// A field's type and the limits its answers must keep.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    Text {
        max_length: u32,
    },
    LongText {
        max_length: u32,
    },
    Number {
        min: Option<Number>,
        max: Option<Number>,
        integer: bool,
    },
    Date {
        min: Option<NaiveDate>,
        max: Option<NaiveDate>,
    },
    SingleChoice {
        options: Vec<String>,
    },
    MultipleChoice {
        options: Vec<String>,
        min_selected: Option<u32>,
        max_selected: Option<u32>,
    },
    /// A consent tick: a required checkbox must be ticked.
    Checkbox,
    Email,
    Phone,
}

impl Kind {
    /// The `type` of a field of this kind.
    pub fn name(&self) -> &'static str {
        match self {
            Kind::Text { .. } => "text",
            Kind::LongText { .. } => "long_text",
            Kind::Number { .. } => "number",
            Kind::Date { .. } => "date",
            Kind::SingleChoice { .. } => "single_choice",
            Kind::MultipleChoice { .. } => "multiple_choice",
            Kind::Checkbox => "checkbox",
            Kind::Email => "email",
            Kind::Phone => "phone",
        }
    }
}

/// The settings a type takes besides the common keys, or `None` for an unknown type.
fn settings_of(type_name: &str) -> Option<&'static [&'static str]> {
    let settings: &'static [&'static str] = match type_name {
        "text" | "long_text" => &["max_length"],
        "number" => &["min", "max", "integer"],
        "date" => &["min", "max"],
        "single_choice" => &["options"],
        "multiple_choice" => &["options", "min_selected", "max_selected"],
        "checkbox" | "email" | "phone" => &[],
        _ => return None,
    };
    Some(settings)
}

/// Parse a definition's fields (forms-create's or forms-update's `fields`), naming every
/// fault at its path: `fields[2].options`, `fields[0].id`.
pub fn parse(raw: &[Value]) -> Result<Vec<Field>, Vec<FieldError>> {
    if raw.is_empty() || raw.len() > MAX_FIELDS {
        return Err(vec![fault("fields".into(), format!("must have 1 to {MAX_FIELDS} fields"))]);
    }
    let mut errors = Vec::new();
    let mut parsed: Vec<(usize, Field)> = Vec::with_capacity(raw.len());
    for (i, value) in raw.iter().enumerate() {
        if let Some(field) = parse_field(value, &format!("fields[{i}]"), &mut errors) {
            parsed.push((i, field));
        }
    }
    for (n, (i, field)) in parsed.iter().enumerate() {
        if let Some((first, _)) = parsed[..n].iter().find(|(_, earlier)| earlier.id == field.id) {
            errors.push(fault(format!("fields[{i}].id"), format!("repeats the id of fields[{first}]")));
        }
    }
    if errors.is_empty() { Ok(parsed.into_iter().map(|(_, field)| field).collect()) } else { Err(errors) }
}

/// The fields of a stored version. [`parse`] wrote them, so they parse again; if one does
/// not, the stored row is at fault, not the caller.
pub fn stored(fields: &Value) -> ApiResult<Vec<Field>> {
    let raw = fields.as_array().map(Vec::as_slice).unwrap_or_default();
    parse(raw).map_err(|errors| ApiError::internal(format!("a stored form definition does not parse: {errors:?}")))
}

/// Fields in their stored shape: a JSON array of objects with `id`, `type`, `label`,
/// `required` and the type's limits (defaults filled in, absent limits left out).
pub fn to_json(fields: &[Field]) -> Value {
    Value::Array(fields.iter().map(Field::to_json).collect())
}

impl Field {
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        put(&mut m, "id", self.id.as_str().into());
        put(&mut m, "type", self.kind.name().into());
        put(&mut m, "label", self.label.as_str().into());
        put(&mut m, "required", self.required.into());
        match &self.kind {
            Kind::Text { max_length } | Kind::LongText { max_length } => {
                put(&mut m, "max_length", (*max_length).into());
            }
            Kind::Number { min, max, integer } => {
                if let Some(min) = min {
                    put(&mut m, "min", Value::Number(min.clone()));
                }
                if let Some(max) = max {
                    put(&mut m, "max", Value::Number(max.clone()));
                }
                put(&mut m, "integer", (*integer).into());
            }
            Kind::Date { min, max } => {
                if let Some(min) = min {
                    put(&mut m, "min", min.to_string().into());
                }
                if let Some(max) = max {
                    put(&mut m, "max", max.to_string().into());
                }
            }
            Kind::SingleChoice { options } => put(&mut m, "options", options.clone().into()),
            Kind::MultipleChoice { options, min_selected, max_selected } => {
                put(&mut m, "options", options.clone().into());
                if let Some(n) = min_selected {
                    put(&mut m, "min_selected", (*n).into());
                }
                if let Some(n) = max_selected {
                    put(&mut m, "max_selected", (*n).into());
                }
            }
            Kind::Checkbox | Kind::Email | Kind::Phone => {}
        }
        Value::Object(m)
    }
}

fn put(m: &mut Map<String, Value>, key: &str, value: Value) {
    m.insert(key.to_owned(), value);
}

/// A calendar date written as `YYYY-MM-DD`, and nothing looser.
pub fn parse_date(raw: &str) -> Option<NaiveDate> {
    if raw.len() != 10 {
        return None;
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()
}

/// A JSON number as a float, for comparisons against a limit.
pub fn float(n: &Number) -> f64 {
    n.as_f64().unwrap_or(f64::NAN)
}

fn fault(field: String, detail: impl Into<String>) -> FieldError {
    FieldError { field, detail: detail.into() }
}

fn is_field_id(id: &str) -> bool {
    (1..=ID_MAX_LENGTH).contains(&id.len())
        && id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

fn parse_field(value: &Value, path: &str, errors: &mut Vec<FieldError>) -> Option<Field> {
    let Some(obj) = value.as_object() else {
        errors.push(fault(path.to_owned(), "must be an object with id, type and label"));
        return None;
    };
    let mut r = Reader { obj, path, errors, failed: false };

    let id = match r.string("id", true) {
        Some(id) if is_field_id(id) => Some(id.to_owned()),
        Some(_) => {
            r.fail("id", format!("must be 1 to {ID_MAX_LENGTH} characters of a-z, 0-9 and _"));
            None
        }
        None => None,
    };
    let label = match r.string("label", true).map(Name::parse) {
        Some(Ok(label)) => Some(String::from(label)),
        Some(Err(detail)) => {
            r.fail("label", detail);
            None
        }
        None => None,
    };
    let required = r.flag("required");
    let type_name = r.string("type", true)?;
    let Some(settings) = settings_of(type_name) else {
        r.fail("type", format!("must be one of {TYPES}"));
        return None;
    };
    for key in obj.keys() {
        if !COMMON.contains(&key.as_str()) && !settings.contains(&key.as_str()) {
            r.fail(key, format!("is not a setting of a {type_name} field"));
        }
    }
    let kind = match type_name {
        "text" => Kind::Text { max_length: r.count("max_length", 1, TEXT_MAX_LENGTH).unwrap_or(TEXT_MAX_LENGTH) },
        "long_text" => Kind::LongText {
            max_length: r.count("max_length", 1, LONG_TEXT_MAX_LENGTH).unwrap_or(LONG_TEXT_MAX_LENGTH),
        },
        "number" => {
            let (min, max, integer) = (r.number("min"), r.number("max"), r.flag("integer"));
            if let (Some(lo), Some(hi)) = (&min, &max)
                && float(lo) > float(hi)
            {
                r.fail("max", "must not be less than min");
            }
            Kind::Number { min, max, integer }
        }
        "date" => {
            let (min, max) = (r.date("min"), r.date("max"));
            if let (Some(lo), Some(hi)) = (min, max)
                && lo > hi
            {
                r.fail("max", "must not be before min");
            }
            Kind::Date { min, max }
        }
        "single_choice" => Kind::SingleChoice { options: r.options().unwrap_or_default() },
        "multiple_choice" => {
            let options = r.options().unwrap_or_default();
            // Until the options parse, the limits are checked against the most there may be.
            let most = if options.is_empty() { MAX_OPTIONS } else { options.len() };
            let most = most as u32;
            let min_selected = r.count("min_selected", 0, most);
            let max_selected = r.count("max_selected", 1, most);
            if let (Some(lo), Some(hi)) = (min_selected, max_selected)
                && lo > hi
            {
                r.fail("max_selected", "must not be less than min_selected");
            }
            Kind::MultipleChoice { options, min_selected, max_selected }
        }
        "checkbox" => Kind::Checkbox,
        "email" => Kind::Email,
        _ => Kind::Phone,
    };
    if r.failed {
        return None;
    }
    Some(Field { id: id?, label: label?, required, kind })
}

/// Reads one field's object, recording each fault at `<path>.<key>`.
struct Reader<'a, 'e> {
    obj: &'a Map<String, Value>,
    path: &'a str,
    errors: &'e mut Vec<FieldError>,
    failed: bool,
}

impl<'a> Reader<'a, '_> {
    fn fail(&mut self, key: &str, detail: impl Into<String>) {
        self.failed = true;
        self.errors.push(fault(format!("{}.{key}", self.path), detail));
    }

    /// The value at `key`; `null` counts as absent.
    fn get(&self, key: &str) -> Option<&'a Value> {
        self.obj.get(key).filter(|v| !v.is_null())
    }

    fn string(&mut self, key: &str, required: bool) -> Option<&'a str> {
        match self.get(key) {
            Some(Value::String(s)) => Some(s.as_str()),
            Some(_) => {
                self.fail(key, "must be a string");
                None
            }
            None => {
                if required {
                    self.fail(key, "is required");
                }
                None
            }
        }
    }

    fn flag(&mut self, key: &str) -> bool {
        match self.get(key) {
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                self.fail(key, "must be true or false");
                false
            }
            None => false,
        }
    }

    fn count(&mut self, key: &str, min: u32, max: u32) -> Option<u32> {
        let value = self.get(key)?;
        match value.as_u64().filter(|n| (u64::from(min)..=u64::from(max)).contains(n)) {
            Some(n) => u32::try_from(n).ok(),
            None => {
                self.fail(key, format!("must be a whole number from {min} to {max}"));
                None
            }
        }
    }

    fn number(&mut self, key: &str) -> Option<Number> {
        match self.get(key)? {
            Value::Number(n) => Some(n.clone()),
            _ => {
                self.fail(key, "must be a number");
                None
            }
        }
    }

    fn date(&mut self, key: &str) -> Option<NaiveDate> {
        let raw = self.string(key, false)?;
        let date = parse_date(raw);
        if date.is_none() {
            self.fail(key, "must be a date such as 2026-12-31");
        }
        date
    }

    /// A choice's options: 1 to 50 distinct, non-empty strings.
    fn options(&mut self) -> Option<Vec<String>> {
        let Some(items) =
            self.get("options").and_then(Value::as_array).filter(|a| (1..=MAX_OPTIONS).contains(&a.len()))
        else {
            self.fail("options", format!("must be a list of 1 to {MAX_OPTIONS} choices"));
            return None;
        };
        let mut options: Vec<String> = Vec::with_capacity(items.len());
        let mut ok = true;
        for (k, item) in items.iter().enumerate() {
            let key = format!("options[{k}]");
            match item.as_str().map(Name::parse) {
                Some(Ok(option)) => {
                    let option = String::from(option);
                    if options.contains(&option) {
                        self.fail(&key, "repeats an earlier choice");
                        ok = false;
                    } else {
                        options.push(option);
                    }
                }
                Some(Err(detail)) => {
                    self.fail(&key, detail);
                    ok = false;
                }
                None => {
                    self.fail(&key, "must be a string");
                    ok = false;
                }
            }
        }
        ok.then_some(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(v: Value) -> Result<Vec<Field>, Vec<String>> {
        parse(v.as_array().unwrap()).map_err(|e| e.into_iter().map(|e| e.field).collect())
    }

    #[test]
    fn fills_in_defaults_and_round_trips() {
        let parsed = fields(json!([
            {"id": "allergies", "type": "long_text", "label": " Allergies "},
            {"id": "age", "type": "number", "label": "Age", "min": 0, "max": 120, "integer": true, "required": true},
            {"id": "colours", "type": "multiple_choice", "label": "Colours", "options": ["Red", "Blue"],
             "max_selected": 1},
        ]))
        .unwrap();
        assert_eq!(parsed[0].label, "Allergies");
        assert_eq!(parsed[0].kind, Kind::LongText { max_length: LONG_TEXT_MAX_LENGTH });
        let stored = to_json(&parsed);
        assert_eq!(stored[0]["max_length"], 5000);
        assert_eq!(stored[1]["min"], 0);
        assert_eq!(super::stored(&stored).unwrap(), parsed);
    }

    #[test]
    fn names_every_fault_at_its_path() {
        let errors = fields(json!([
            {"id": "Bad Id", "type": "text", "label": "A"},
            {"id": "b", "type": "single_choice", "label": "B", "options": []},
            {"id": "c", "type": "single_choice", "label": "C", "options": ["x", "x "]},
            {"id": "d", "type": "text", "label": "D", "options": ["x"], "max_length": 201},
            {"id": "e", "type": "nope", "label": "E"},
            {"id": "f", "type": "number", "label": "F", "min": 5, "max": 1},
            {"id": "g", "type": "date", "label": "G", "min": "2026-1-1"},
            {"id": "h", "type": "multiple_choice", "label": "H", "options": ["a", "b"],
             "min_selected": 2, "max_selected": 1},
            {"id": "f", "type": "checkbox", "label": ""},
            {"id": "ok", "type": "email", "label": "Email"},
            {"id": "ok", "type": "phone", "label": "Phone"},
            "text",
        ]))
        .unwrap_err();
        assert_eq!(
            errors,
            [
                "fields[0].id",
                "fields[1].options",
                "fields[2].options[1]",
                "fields[3].options",
                "fields[3].max_length",
                "fields[4].type",
                "fields[5].max",
                "fields[6].min",
                "fields[7].max_selected",
                "fields[8].label",
                "fields[11]",
                "fields[10].id",
            ]
        );
        assert_eq!(fields(json!([])).unwrap_err(), ["fields"]);
        let many: Vec<Value> = (0..51).map(|i| json!({"id": format!("f{i}"), "type": "email", "label": "E"})).collect();
        assert_eq!(fields(Value::Array(many)).unwrap_err(), ["fields"]);
    }
}
