//! Validation errors in the original's shape: grouped by field in the order
//! fields first failed (marshmallow's dict), flattened as `"field: message"`.

use serde_json::{Map, Value};

#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors {
    fields: Vec<(String, Vec<String>)>,
}

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a message; a field seen before keeps its first position.
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        let message = message.into();
        match self.fields.iter_mut().find(|(name, _)| name == field) {
            Some((_, messages)) => messages.push(message),
            None => self.fields.push((field.to_string(), vec![message])),
        }
    }

    /// Each field with its messages, in the order fields first failed.
    pub fn fields(&self) -> &[(String, Vec<String>)] {
        &self.fields
    }

    pub fn has(&self, field: &str) -> bool {
        self.fields.iter().any(|(name, _)| name == field)
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The messages alone, without field names (empresas' format).
    pub fn messages(&self) -> Vec<String> {
        self.fields
            .iter()
            .flat_map(|(_, messages)| messages.iter().cloned())
            .collect()
    }

    /// `["field: message", ...]`.
    pub fn flatten(&self) -> Vec<String> {
        self.fields
            .iter()
            .flat_map(|(field, messages)| messages.iter().map(move |m| format!("{field}: {m}")))
            .collect()
    }
}

pub const MSG_REQUIRED: &str = "Missing data for required field.";
pub const MSG_NOT_STRING: &str = "Not a valid string.";
pub const MSG_NOT_INTEGER: &str = "Not a valid integer.";
pub const MSG_NULL: &str = "Field may not be null.";
pub const MSG_UNKNOWN: &str = "Unknown field.";
pub const MSG_INVALID_INPUT: &str = "Invalid input type.";

/// A JSON object read field by field as a marshmallow schema reads it:
/// each read records its field's type/required errors in call order (call
/// in declaration order), `unknown_fields` adds `Unknown field.` for the rest,
/// then custom checks add theirs.
pub struct Input<'a> {
    fields: &'a Map<String, Value>,
    known: Vec<&'static str>,
    pub errors: FieldErrors,
}

impl<'a> Input<'a> {
    /// A non-object body is the schema error `_schema: Invalid input type.`.
    pub fn new(body: &'a Value) -> Result<Input<'a>, FieldErrors> {
        match body.as_object() {
            Some(fields) => Ok(Input {
                fields,
                known: Vec::new(),
                errors: FieldErrors::new(),
            }),
            None => {
                let mut errors = FieldErrors::new();
                errors.add("_schema", MSG_INVALID_INPUT);
                Err(errors)
            }
        }
    }

    fn raw(&mut self, name: &'static str, required: bool) -> Option<&'a Value> {
        self.known.push(name);
        let value = self.fields.get(name);
        if value.is_none() && required {
            self.errors.add(name, MSG_REQUIRED);
        }
        value
    }

    /// A field's raw value, for a type rule of the caller's own (only
    /// "missing" is recorded here).
    pub fn value(&mut self, name: &'static str, required: bool) -> Option<&'a Value> {
        self.raw(name, required)
    }

    /// A string field; `None` when absent or invalid (the error is recorded).
    pub fn string(&mut self, name: &'static str, required: bool) -> Option<String> {
        match self.raw(name, required)? {
            Value::String(s) => Some(s.clone()),
            Value::Null => {
                self.errors.add(name, MSG_NULL);
                None
            }
            _ => {
                self.errors.add(name, MSG_NOT_STRING);
                None
            }
        }
    }

    /// An optional string that may be `null` (`load_default=None`):
    /// `Some(None)` for null or absent.
    pub fn nullable_string(&mut self, name: &'static str) -> Option<Option<String>> {
        match self.raw(name, false) {
            None | Some(Value::Null) => Some(None),
            Some(Value::String(s)) => Some(Some(s.clone())),
            Some(_) => {
                self.errors.add(name, MSG_NOT_STRING);
                None
            }
        }
    }

    /// marshmallow's non-strict integer: JSON integers, integral floats and
    /// numeric strings; not booleans, not `2.5`.
    pub fn integer(&mut self, name: &'static str, required: bool) -> Option<i64> {
        let value = self.raw(name, required)?;
        let parsed = match value {
            Value::Number(n) => n.as_i64().or_else(|| {
                n.as_f64()
                    .filter(|f| f.fract() == 0.0 && f.abs() < 9e15)
                    .map(|f| f as i64)
            }),
            Value::String(s) => s.trim().parse::<i64>().ok(),
            Value::Null => {
                self.errors.add(name, MSG_NULL);
                return None;
            }
            _ => None,
        };
        if parsed.is_none() {
            self.errors.add(name, MSG_NOT_INTEGER);
        }
        parsed
    }

    /// Records `Unknown field.` for every key no read asked for (input order).
    pub fn unknown_fields(&mut self) {
        for key in self.fields.keys() {
            if !self.known.contains(&key.as_str()) {
                self.errors.add(key, MSG_UNKNOWN);
            }
        }
    }

    pub fn error(&mut self, field: &str, message: impl Into<String>) {
        self.errors.add(field, message);
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// marshmallow's `fields.Email` check (not Python's `email-validator`):
/// dot-atom local part, a domain of labels with a TLD of 2+ characters,
/// an IPv4 literal, or `localhost`. Non-ASCII letters stand for IDNA labels.
pub fn marshmallow_email_ok(value: &str) -> bool {
    const SPECIALS: &str = "-!#$%&'*+/=?^`{}|~_";
    let Some((user, domain)) = value.rsplit_once('@') else {
        return false;
    };
    let atom_ok = |atom: &str| {
        !atom.is_empty()
            && atom
                .chars()
                .all(|c| c.is_alphanumeric() || SPECIALS.contains(c))
    };
    if !user.split('.').all(atom_ok) || domain.is_empty() {
        return false;
    }
    if domain == "localhost" {
        return true;
    }
    if let Some(literal) = domain.strip_prefix('[').and_then(|d| d.strip_suffix(']')) {
        return literal.parse::<std::net::Ipv4Addr>().is_ok();
    }
    let labels: Vec<&str> = domain.split('.').collect();
    let Some((tld, rest)) = labels.split_last() else {
        return false;
    };
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.chars().count() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld_ok = tld.chars().count() >= 2
        && !tld.ends_with('-')
        && tld.chars().all(|c| c.is_alphanumeric() || c == '-');
    !rest.is_empty() && rest.iter().all(label_ok) && tld_ok
}

/// marshmallow's `Range(min, max)` message.
pub fn range_message(min: i64, max: i64) -> String {
    format!("Must be greater than or equal to {min} and less than or equal to {max}.")
}

/// marshmallow's `OneOf` message.
pub fn one_of_message(choices: &[&str]) -> String {
    format!("Must be one of: {}.", choices.join(", "))
}

/// Python's `str(value)` for a JSON value, as the original's pre-load steps do.
pub fn python_str(value: &Value) -> String {
    match value {
        Value::Null => "None".to_string(),
        Value::Bool(true) => "True".to_string(),
        Value::Bool(false) => "False".to_string(),
        Value::Number(n) => {
            if let Some(f) = n.as_f64().filter(|_| n.is_f64()) {
                if f.fract() == 0.0 && f.abs() < 1e16 {
                    format!("{f:.1}")
                } else {
                    f.to_string()
                }
            } else {
                n.to_string()
            }
        }
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// marshmallow's message for a `Length(min, max)` failure.
pub fn length_between(min: usize, max: usize) -> String {
    format!("Length must be between {min} and {max}.")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_keep_the_first_position_of_their_field() {
        let mut errors = FieldErrors::new();
        errors.add("password", "a");
        errors.add("email", "b");
        errors.add("password", "c");
        assert_eq!(
            errors.flatten(),
            vec!["password: a", "password: c", "email: b"]
        );
    }

    #[test]
    fn input_reads_fields_in_order_then_unknowns() {
        let body =
            json!({"zeta": 1, "rol": 5, "n": "7", "f": 2.0, "bad": 2.5, "b": true, "x": null});
        let mut input = Input::new(&body).unwrap();
        assert_eq!(input.string("email", true), None);
        assert_eq!(input.string("rol", true), None);
        assert_eq!(input.integer("n", true), Some(7));
        assert_eq!(input.integer("f", true), Some(2));
        assert_eq!(input.integer("bad", true), None);
        assert_eq!(input.integer("b", false), None);
        assert_eq!(input.nullable_string("x"), Some(None));
        input.unknown_fields();
        assert_eq!(
            input.errors.flatten(),
            vec![
                "email: Missing data for required field.",
                "rol: Not a valid string.",
                "bad: Not a valid integer.",
                "b: Not a valid integer.",
                "zeta: Unknown field.",
            ]
        );
        assert_eq!(
            Input::new(&json!([1])).err().unwrap().flatten(),
            vec!["_schema: Invalid input type."]
        );
    }

    #[test]
    fn marshmallow_email_rules() {
        for ok in [
            "a@localhost",
            "a@[1.2.3.4]",
            "Ana.B@Example.COM",
            "x+y@sub.dominio.es",
            "ñ@correo.es",
        ] {
            assert!(marshmallow_email_ok(ok), "{ok}");
        }
        for bad in [
            "a@b",
            "a@b.c",
            "",
            "plain",
            "a..b@x.com",
            "a@-x.com",
            "a b@x.com",
            "a@x.com-",
            "@x.com",
        ] {
            assert!(!marshmallow_email_ok(bad), "{bad}");
        }
    }

    #[test]
    fn python_str_of_json_values() {
        assert_eq!(python_str(&json!(null)), "None");
        assert_eq!(python_str(&json!(true)), "True");
        assert_eq!(python_str(&json!(123)), "123");
        assert_eq!(python_str(&json!(2.0)), "2.0");
        assert_eq!(python_str(&json!(2.5)), "2.5");
        assert_eq!(python_str(&json!("x")), "x");
    }
}
