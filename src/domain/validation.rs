//! Validation errors in the original's shape: grouped by field in the order
//! fields first failed (marshmallow's dict), flattened as `"field: message"`.

use serde_json::Value;

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

    pub fn has(&self, field: &str) -> bool {
        self.fields.iter().any(|(name, _)| name == field)
    }

    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// `["field: message", ...]`.
    pub fn flatten(&self) -> Vec<String> {
        self.fields
            .iter()
            .flat_map(|(field, messages)| messages.iter().map(move |m| format!("{field}: {m}")))
            .collect()
    }
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
    fn python_str_of_json_values() {
        assert_eq!(python_str(&json!(null)), "None");
        assert_eq!(python_str(&json!(true)), "True");
        assert_eq!(python_str(&json!(123)), "123");
        assert_eq!(python_str(&json!(2.0)), "2.0");
        assert_eq!(python_str(&json!(2.5)), "2.5");
        assert_eq!(python_str(&json!("x")), "x");
    }
}
