//! A customer's answers, checked against one version's fields and normalised for storing.

use serde_json::{Map, Value};
use shared::error::FieldError;
use shared::types::{Email, Phone};

use crate::definition::{Field, Kind, float, parse_date};

/// The answers as stored (normalised; unanswered optional fields left out), or every
/// fault at once, each at `answers.<field id>`: the form's fields in order, then the ids
/// the form does not have.
pub fn check(fields: &[Field], given: &Map<String, Value>) -> Result<Map<String, Value>, Vec<FieldError>> {
    let mut answers = Map::new();
    let mut errors = Vec::new();
    for field in fields {
        let outcome = match given.get(&field.id).filter(|v| !is_blank(v)) {
            Some(value) => answer(&field.kind, field.required, value),
            None if field.required => Err("is required".to_owned()),
            None => continue,
        };
        match outcome {
            Ok(value) => {
                answers.insert(field.id.clone(), value);
            }
            Err(detail) => errors.push(FieldError { field: format!("answers.{}", field.id), detail }),
        }
    }
    for id in given.keys().filter(|id| !fields.iter().any(|f| &f.id == *id)) {
        errors.push(FieldError { field: format!("answers.{id}"), detail: "is not a question of this form".into() });
    }
    if errors.is_empty() { Ok(answers) } else { Err(errors) }
}

/// No answer: null, blank text or an empty selection.
fn is_blank(value: &Value) -> bool {
    match value {
        Value::Null => true,
        Value::String(s) => s.trim().is_empty(),
        Value::Array(items) => items.is_empty(),
        _ => false,
    }
}

fn answer(kind: &Kind, required: bool, value: &Value) -> Result<Value, String> {
    match kind {
        Kind::Text { max_length } => text(value, *max_length, false),
        Kind::LongText { max_length } => text(value, *max_length, true),
        Kind::Number { min, max, integer } => {
            let Value::Number(n) = value else { return Err("must be a number".into()) };
            let x = float(n);
            if *integer && !(n.is_i64() || n.is_u64() || x.fract() == 0.0) {
                return Err("must be a whole number".into());
            }
            if let Some(min) = min
                && x < float(min)
            {
                return Err(format!("must be at least {min}"));
            }
            if let Some(max) = max
                && x > float(max)
            {
                return Err(format!("must be at most {max}"));
            }
            Ok(value.clone())
        }
        Kind::Date { min, max } => {
            let date = value.as_str().and_then(|s| parse_date(s.trim())).ok_or("must be a date such as 2026-12-31")?;
            if let Some(min) = min
                && date < *min
            {
                return Err(format!("must be {min} or later"));
            }
            if let Some(max) = max
                && date > *max
            {
                return Err(format!("must be {max} or earlier"));
            }
            Ok(date.to_string().into())
        }
        Kind::SingleChoice { options } => value
            .as_str()
            .and_then(|s| options.iter().find(|o| o.as_str() == s.trim()))
            .map(|o| Value::from(o.as_str()))
            .ok_or_else(|| "must be one of the choices".to_owned()),
        Kind::MultipleChoice { options, min_selected, max_selected } => {
            let Some(items) = value.as_array() else { return Err("must be a list of choices".into()) };
            let mut chosen = vec![false; options.len()];
            for item in items {
                let at = item.as_str().and_then(|s| options.iter().position(|o| o.as_str() == s.trim()));
                match at {
                    Some(i) if chosen[i] => return Err(format!("chooses {item} twice")),
                    Some(i) => chosen[i] = true,
                    None => return Err(format!("{item} is not one of the choices")),
                }
            }
            let n = items.len();
            let lo = min_selected.map_or(0, |m| m as usize);
            let hi = max_selected.map_or(options.len(), |m| m as usize);
            if n < lo || n > hi {
                let detail =
                    if lo == hi { format!("must choose exactly {lo}") } else { format!("must choose {lo} to {hi}") };
                return Err(detail);
            }
            // In the order the form lists them, so every answer reads the same way.
            Ok(options.iter().zip(&chosen).filter(|(_, c)| **c).map(|(o, _)| o.as_str()).collect())
        }
        Kind::Checkbox => match value {
            Value::Bool(false) if required => Err("must be ticked".into()),
            Value::Bool(b) => Ok(Value::Bool(*b)),
            _ => Err("must be true or false".into()),
        },
        Kind::Email => {
            let raw = value.as_str().ok_or("must be an email address")?;
            Email::parse(raw).map(|e| Value::String(e.into()))
        }
        Kind::Phone => {
            let raw = value.as_str().ok_or("must be a phone number")?;
            Phone::parse(raw).map(|p| Value::String(p.into()))
        }
    }
}

/// A text answer, trimmed: within its length, and on one line unless `multiline`.
fn text(value: &Value, max_length: u32, multiline: bool) -> Result<Value, String> {
    let Some(s) = value.as_str() else { return Err("must be text".into()) };
    let s = s.trim();
    if s.chars().count() > max_length as usize {
        return Err(format!("must be at most {max_length} characters"));
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if s.chars().any(|c| c.is_control() && !allowed(c)) {
        let detail = if multiline { "must not contain control characters" } else { "must be a single line" };
        return Err(detail.into());
    }
    Ok(s.into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::definition::parse;
    use serde_json::json;

    fn form() -> Vec<Field> {
        parse(
            json!([
                {"id": "name", "type": "text", "label": "Name", "required": true, "max_length": 5},
                {"id": "notes", "type": "long_text", "label": "Notes"},
                {"id": "age", "type": "number", "label": "Age", "min": 18, "integer": true},
                {"id": "day", "type": "date", "label": "Day", "max": "2026-12-31"},
                {"id": "size", "type": "single_choice", "label": "Size", "options": ["S", "M"]},
                {"id": "extras", "type": "multiple_choice", "label": "Extras", "options": ["a", "b", "c"],
                 "max_selected": 2},
                {"id": "consent", "type": "checkbox", "label": "I agree", "required": true},
                {"id": "mail", "type": "email", "label": "Email"},
                {"id": "phone", "type": "phone", "label": "Phone"},
            ])
            .as_array()
            .unwrap(),
        )
        .unwrap()
    }

    fn run(answers: Value) -> Result<Value, Vec<String>> {
        check(&form(), answers.as_object().unwrap())
            .map(Value::Object)
            .map_err(|e| e.into_iter().map(|e| e.field).collect())
    }

    #[test]
    fn normalises_valid_answers() {
        let stored = run(json!({"name": " Ann ", "notes": "line one\nline two", "age": 30, "day": "2026-12-24",
                                "size": "M", "extras": ["c", "a"], "consent": true, "mail": "Ann@Example.com",
                                "phone": "+49 30 123456", "size_note": null}))
        .unwrap_err();
        assert_eq!(stored, ["answers.size_note"], "an unknown id is refused even when null");
        let stored = run(json!({"name": "Ann", "consent": true, "extras": [], "notes": "  "})).unwrap();
        assert_eq!(stored, json!({"name": "Ann", "consent": true}), "blank optional answers are left out");
        let stored = run(json!({"name": " Ann ", "notes": "line one\nline two", "age": 30, "day": "2026-12-24",
                                "size": "M", "extras": ["c", "a"], "consent": true, "mail": "Ann@Example.com",
                                "phone": "+49 30 123456"}))
        .unwrap();
        assert_eq!(stored["name"], "Ann");
        assert_eq!(stored["extras"], json!(["a", "c"]));
        assert_eq!(stored["mail"], "ann@example.com");
        assert_eq!(stored["phone"], "+4930123456");
    }

    #[test]
    fn names_every_failing_answer() {
        let errors = run(json!({"name": "Annabel", "age": 17.5, "day": "2027-01-01", "size": "XL",
                                "extras": ["a", "b", "c"], "consent": false, "mail": "nope", "phone": "123",
                                "shoe": 42}))
        .unwrap_err();
        assert_eq!(
            errors,
            [
                "answers.name",
                "answers.age",
                "answers.day",
                "answers.size",
                "answers.extras",
                "answers.consent",
                "answers.mail",
                "answers.phone",
                "answers.shoe",
            ]
        );
        assert_eq!(run(json!({})).unwrap_err(), ["answers.name", "answers.consent"]);
        assert_eq!(run(json!({"name": "a\tb", "consent": true})).unwrap_err(), ["answers.name"]);
    }
}
