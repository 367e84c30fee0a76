//! `{PLACEHOLDER}`s in guest-message templates: which ones a text holds,
//! which look wrong, which an AI answer dropped, and a preview with values.
//! The original never substituted them; it only asked the model to keep them.

use std::collections::BTreeMap;

/// The placeholders the web app and the prompts name (the late check-in
/// page adds `TELEFONO` and `DIRECCION`; its templates share the table), with
/// a sample value for previews.
pub const KNOWN: &[(&str, &str)] = &[
    ("NOMBRE", "María"),
    ("APARTAMENTO", "Apartamento Centro 2B"),
    ("TELEFONO", "+34 600 000 000"),
    ("DIRECCION", "Calle Feria 12, Sevilla"),
    ("HORA_LLEGADA", "22:30"),
    ("HORA_SALIDA", "11:00"),
    ("IDIOMA", "es"),
    (
        "PROTOCOLO_CHECKIN",
        "Recoja las llaves en la caja con código 1234.",
    ),
];

/// A problem with one placeholder-looking part of a text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Problem {
    /// `{SOMETHING}` well formed but not one of [`KNOWN`].
    Unknown(String),
    /// `{nombre}`, `{ NOMBRE }`, `{}`, or a brace that never closes or opens.
    Malformed(String),
}

impl Problem {
    /// The warning shown to the user (Spanish, as every message on the wire).
    pub fn message(&self) -> String {
        match self {
            Problem::Unknown(name) => format!("Marcador desconocido: {{{name}}}."),
            Problem::Malformed(text) => format!("Marcador mal formado: {text}"),
        }
    }
}

fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text.starts_with(|c: char| c.is_ascii_uppercase())
        && text
            .chars()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
}

/// Each `{...}` part of `text` in order: `Ok(name)` when well formed, or the
/// malformed fragment. A `{` without its `}` runs to the end of the text.
fn parts(text: &str) -> Vec<Result<&str, &str>> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find(['{', '}']) {
        if rest[open..].starts_with('}') {
            found.push(Err("}"));
            rest = &rest[open + 1..];
            continue;
        }
        let after = &rest[open + 1..];
        // A second `{` before the `}` means this one never closes.
        match after.find(['{', '}']) {
            Some(close) if after[close..].starts_with('}') => {
                let inner = &after[..close];
                let whole = &rest[open..open + close + 2];
                found.push(if is_name(inner) {
                    Ok(inner)
                } else {
                    Err(whole)
                });
                rest = &after[close + 1..];
            }
            Some(next) => {
                found.push(Err(&rest[open..open + 1 + next]));
                rest = &after[next..];
            }
            None => {
                found.push(Err(&rest[open..]));
                rest = "";
            }
        }
    }
    found
}

/// The well-formed placeholder names of `text`, each once, in order of first use.
pub fn names(text: &str) -> Vec<&str> {
    let mut out: Vec<&str> = Vec::new();
    for name in parts(text).into_iter().flatten() {
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Unknown or malformed placeholders, each once, in order.
pub fn problems(text: &str) -> Vec<Problem> {
    let mut out = Vec::new();
    for part in parts(text) {
        let problem = match part {
            Ok(name) if KNOWN.iter().any(|(known, _)| *known == name) => continue,
            Ok(name) => Problem::Unknown(name.to_string()),
            Err(fragment) => Problem::Malformed(fragment.to_string()),
        };
        if !out.contains(&problem) {
            out.push(problem);
        }
    }
    out
}

/// The problems of `text` as the messages a save or preview shows.
pub fn warnings(text: &str) -> Vec<String> {
    problems(text).iter().map(Problem::message).collect()
}

/// Placeholders of `input` that `output` no longer holds intact.
pub fn missing<'a>(input: &'a str, output: &str) -> Vec<&'a str> {
    let kept = names(output);
    names(input)
        .into_iter()
        .filter(|name| !kept.contains(name))
        .collect()
}

/// `text` with every well-formed placeholder replaced: by the given value,
/// else by the sample of a known one; unknown ones without a value stay.
pub fn render(text: &str, values: &BTreeMap<String, String>) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        let inner = &after[..close];
        let value = is_name(inner)
            .then(|| {
                values.get(inner).map(String::as_str).or_else(|| {
                    KNOWN
                        .iter()
                        .find(|(known, _)| *known == inner)
                        .map(|(_, sample)| *sample)
                })
            })
            .flatten();
        match value {
            Some(value) => out.push_str(value),
            None => out.push_str(&rest[open..open + close + 2]),
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_listed_once_in_order() {
        let text = "Hola {NOMBRE}, llegas a {APARTAMENTO} a las {HORA_LLEGADA}. {NOMBRE}";
        assert_eq!(names(text), vec!["NOMBRE", "APARTAMENTO", "HORA_LLEGADA"]);
        assert!(names("sin marcadores").is_empty());
    }

    #[test]
    fn unknown_and_malformed_placeholders_are_reported() {
        let text = "Hola {NOMBRE} {CODIGO} {nombre} { NOMBRE } {} {HORA_LLEGADA";
        assert_eq!(
            problems(text),
            vec![
                Problem::Unknown("CODIGO".into()),
                Problem::Malformed("{nombre}".into()),
                Problem::Malformed("{ NOMBRE }".into()),
                Problem::Malformed("{}".into()),
                Problem::Malformed("{HORA_LLEGADA".into()),
            ]
        );
        assert_eq!(
            problems("a } b {X{NOMBRE}"),
            vec![
                Problem::Malformed("}".into()),
                Problem::Malformed("{X".into())
            ]
        );
        assert!(problems("Hola {NOMBRE}, tu piso es {APARTAMENTO}.").is_empty());
        assert_eq!(
            warnings("{CODIGO} {x}"),
            vec![
                "Marcador desconocido: {CODIGO}.",
                "Marcador mal formado: {x}"
            ]
        );
    }

    #[test]
    fn dropped_or_altered_placeholders_are_missing() {
        let input = "Hola {NOMBRE}, piso {APARTAMENTO}";
        assert!(missing(input, "Hello {NOMBRE}, flat {APARTAMENTO}").is_empty());
        assert_eq!(
            missing(input, "Hello {nombre}, flat {APARTMENT}"),
            vec!["NOMBRE", "APARTAMENTO"]
        );
        assert_eq!(
            missing(input, "Hello María, flat {APARTAMENTO}"),
            vec!["NOMBRE"]
        );
    }

    #[test]
    fn render_uses_given_values_then_samples() {
        let values = BTreeMap::from([("NOMBRE".to_string(), "Ana".to_string())]);
        assert_eq!(
            render(
                "Hola {NOMBRE}, a las {HORA_LLEGADA} {OTRO} {x} {ABIERTO",
                &values
            ),
            "Hola Ana, a las 22:30 {OTRO} {x} {ABIERTO"
        );
    }
}
