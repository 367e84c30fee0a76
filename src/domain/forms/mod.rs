//! The two public forms (original-domain.md 8): the access request of
//! `POST /api/contact` and the contact message of `POST /api/contacto`, read
//! as the original's marshmallow schemas read them (pre-load clean-up, field
//! rules in declaration order, then the `@validates` checks by name, then the
//! schema checks only when every field passed), the honeypot, and (in
//! `notify.rs`) the e-mail and Discord embeds built from a stored submission.

mod notify;
#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::domain::phone::to_e164;
use crate::domain::sanitize::{MAX_LEN_EMAIL, MAX_LEN_FREE_TEXT, sanitize_email, sanitize_text};
use crate::domain::validation::{FieldErrors, MSG_NULL, length_between, python_str};

pub use notify::{
    DISCORD_FIELD_MAX, Embed, access_embed, access_mail, contact_embed, iso_timestamp,
};

pub const MSG_CAPTCHA_FAILED: &str = "La verificación del captcha ha fallado.";
pub const MSG_ACCESS_RECEIVED: &str = "Solicitud recibida correctamente.";
pub const MSG_CONTACT_SENT: &str = "Mensaje enviado correctamente.";
const MSG_EMAIL_INVALID: &str = "El correo electrónico no es válido.";
const MSG_NOT_BOOLEAN: &str = "Not a valid boolean.";
const MSG_PRIVACY: &str = "Debes aceptar la política de privacidad.";

/// The access request's country whitelist (ISO 3166-1 alpha-2).
pub const COUNTRY_CODES: &[&str] = &[
    "ES", "MX", "AR", "CO", "CL", "PE", "EC", "VE", "UY", "BO", "PY", "PA", "CR", "GT", "HN", "SV",
    "NI", "DO", "CU", "PR", "US", "GB", "FR", "DE", "IT", "PT", "BR", "CN", "JP", "IN", "AU", "CA",
    "NL", "BE", "CH", "AT", "SE", "NO", "DK", "FI", "PL", "CZ", "RO", "IE", "GR", "HU", "BG", "HR",
    "SK", "SI",
];

/// A valid access request, as stored (only what the form sent, cleaned; the
/// captcha token, the privacy tick and the honeypot are dropped).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccessRequest {
    pub company_name: String,
    /// Normalised by the e-mail rules.
    pub company_email: String,
    pub country_code: String,
    /// E.164.
    pub phone: String,
    pub is_member: bool,
    /// `""` when none was given.
    pub message: String,
}

/// A valid contact message, as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactMessage {
    pub nombre: String,
    /// The trimmed input (validated, not normalised, as the original).
    pub email: String,
    /// `""` when none was given.
    pub empresa: String,
    pub mensaje: String,
}

/// A parsed form and the captcha token it carried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted<T> {
    pub form: T,
    pub turnstile_token: String,
}

/// The original's `sanitize_name`: the text rules, then every run of
/// whitespace (newlines too) is one space, trimmed.
pub fn sanitize_name(value: &str, max_chars: usize) -> String {
    sanitize_text(value, max_chars)
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A bot filled the hidden `website` field: anything but absent, `null` or `""`.
pub fn honeypot_filled(body: &Value) -> bool {
    match body.get("website") {
        None | Some(Value::Null) => false,
        Some(Value::String(s)) => !s.is_empty(),
        Some(_) => true,
    }
}

/// marshmallow's `fields.Boolean`: its truthy and falsy sets (numbers by value).
fn boolean(value: &Value) -> Result<bool, &'static str> {
    const TRUTHY: &[&str] = &[
        "t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes", "YES", "1",
    ];
    const FALSY: &[&str] = &[
        "f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No", "NO", "0",
    ];
    match value {
        Value::Bool(b) => Ok(*b),
        Value::Null => Err(MSG_NULL),
        Value::Number(n) => match n.as_f64() {
            Some(1.0) => Ok(true),
            Some(0.0) => Ok(false),
            _ => Err(MSG_NOT_BOOLEAN),
        },
        Value::String(s) if TRUTHY.contains(&s.as_str()) => Ok(true),
        Value::String(s) if FALSY.contains(&s.as_str()) => Ok(false),
        _ => Err(MSG_NOT_BOOLEAN),
    }
}

fn chars(s: &str) -> usize {
    s.chars().count()
}

/// A required text field cleaned by `clean` (after Python's `str()`), or
/// `None` with its "required" message recorded.
fn text_field(
    body: &serde_json::Map<String, Value>,
    errors: &mut FieldErrors,
    name: &str,
    required: &str,
    clean: impl Fn(&str) -> String,
) -> Option<String> {
    match body.get(name) {
        None => {
            errors.add(name, required);
            None
        }
        Some(raw) => Some(clean(&python_str(raw))),
    }
}

/// `POST /api/contact`: field errors as `FieldErrors` (the handler flattens
/// them as `field: message`).
pub fn parse_access_request(body: &Value) -> Result<Submitted<AccessRequest>, FieldErrors> {
    let Some(fields) = body.as_object() else {
        let mut errors = FieldErrors::new();
        errors.add("_schema", "Invalid input type.");
        return Err(errors);
    };
    let mut errors = FieldErrors::new();
    let e = &mut errors;

    let company_name = text_field(
        fields,
        e,
        "company_name",
        "El nombre de la empresa es obligatorio.",
        |v| sanitize_name(v, 150),
    )
    .filter(|v| {
        let ok = (1..=150).contains(&chars(v));
        if !ok {
            e.add("company_name", length_between(1, 150));
        }
        ok
    });
    let company_email = text_field(
        fields,
        e,
        "company_email",
        "El correo de la empresa es obligatorio.",
        |v| v.trim().to_string(),
    );
    let country_code = text_field(
        fields,
        e,
        "country_code",
        "El código de país es obligatorio.",
        |v| v.trim().to_uppercase(),
    )
    .filter(|v| {
        let ok = chars(v) == 2;
        if !ok {
            e.add("country_code", "Length must be 2.");
        }
        ok
    });
    let phone = text_field(fields, e, "phone", "El teléfono es obligatorio.", |v| {
        v.trim().to_string()
    })
    .filter(|v| {
        let ok = (4..=20).contains(&chars(v));
        if !ok {
            e.add("phone", length_between(4, 20));
        }
        ok
    });
    let is_member = match fields.get("is_member") {
        None => {
            e.add("is_member", "Indica si ya eres miembro.");
            None
        }
        Some(raw) => boolean(raw).map_err(|m| e.add("is_member", m)).ok(),
    };
    let message = fields
        .get("message")
        .map(|raw| sanitize_text(&python_str(raw), MAX_LEN_FREE_TEXT))
        .unwrap_or_default();
    let token = turnstile_token(fields, e);
    let privacy = match fields.get("privacy_accepted") {
        None => {
            e.add("privacy_accepted", MSG_PRIVACY);
            None
        }
        Some(raw) => boolean(raw).map_err(|m| e.add("privacy_accepted", m)).ok(),
    };

    // `@validates` checks, by method name: country, e-mail, privacy.
    let country_code = country_code.filter(|c| {
        COUNTRY_CODES.contains(&c.as_str())
            || !reject(e, "country_code", "El código de país no es válido.")
    });
    let company_email = company_email.and_then(|v| {
        let normalized = sanitize_email(&v);
        if normalized.is_none() {
            e.add("company_email", MSG_EMAIL_INVALID);
        }
        normalized
    });
    if privacy == Some(false) {
        e.add("privacy_accepted", MSG_PRIVACY);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let (
        Some(company_name),
        Some(company_email),
        Some(country_code),
        Some(phone),
        Some(is_member),
        Some(turnstile_token),
    ) = (
        company_name,
        company_email,
        country_code,
        phone,
        is_member,
        token,
    )
    else {
        return Err(errors);
    };
    // Schema check, only when every field passed: the phone for the country.
    let Some(phone) = to_e164(&phone, &country_code) else {
        errors.add(
            "phone",
            "El número de teléfono no es válido para el país seleccionado.",
        );
        return Err(errors);
    };
    Ok(Submitted {
        form: AccessRequest {
            company_name,
            company_email,
            country_code,
            phone,
            is_member,
            message,
        },
        turnstile_token,
    })
}

/// Records `message` on `field`; always true (for use in a filter).
fn reject(errors: &mut FieldErrors, field: &str, message: &str) -> bool {
    errors.add(field, message);
    true
}

fn turnstile_token(fields: &serde_json::Map<String, Value>, e: &mut FieldErrors) -> Option<String> {
    text_field(
        fields,
        e,
        "turnstile_token",
        "El token de verificación es obligatorio.",
        |v| v.trim().to_string(),
    )
    .filter(|v| {
        let ok = (1..=2048).contains(&chars(v));
        if !ok {
            e.add("turnstile_token", length_between(1, 2048));
        }
        ok
    })
}

/// `POST /api/contacto`: field errors as `FieldErrors` (the handler answers
/// the bare messages, as the original).
pub fn parse_contact(body: &Value) -> Result<Submitted<ContactMessage>, FieldErrors> {
    let Some(fields) = body.as_object() else {
        let mut errors = FieldErrors::new();
        errors.add("_schema", "Invalid input type.");
        return Err(errors);
    };
    let mut errors = FieldErrors::new();
    let e = &mut errors;
    let nombre = text_field(fields, e, "nombre", "El nombre es obligatorio.", |v| {
        sanitize_name(v, 150)
    })
    .filter(|v| {
        let ok = (1..=100).contains(&chars(v));
        if !ok {
            e.add("nombre", length_between(1, 100));
        }
        ok
    });
    let email = text_field(
        fields,
        e,
        "email",
        "El correo electrónico es obligatorio.",
        |v| v.trim().to_string(),
    )
    .filter(|v| {
        let ok = chars(v) <= MAX_LEN_EMAIL;
        if !ok {
            e.add("email", "Longer than maximum length 254.");
        }
        ok
    });
    let empresa = fields
        .get("empresa")
        .map(|raw| sanitize_name(&python_str(raw), 150))
        .unwrap_or_default();
    let mensaje = text_field(fields, e, "mensaje", "El mensaje es obligatorio.", |v| {
        sanitize_text(v, MAX_LEN_FREE_TEXT)
    })
    .filter(|v| {
        let ok = (10..=MAX_LEN_FREE_TEXT).contains(&chars(v));
        if !ok {
            e.add("mensaje", length_between(10, MAX_LEN_FREE_TEXT));
        }
        ok
    });
    let token = turnstile_token(fields, e);
    let email =
        email.filter(|v| sanitize_email(v).is_some() || !reject(e, "email", MSG_EMAIL_INVALID));
    match (nombre, email, mensaje, token) {
        (Some(nombre), Some(email), Some(mensaje), Some(turnstile_token)) if errors.is_empty() => {
            Ok(Submitted {
                form: ContactMessage {
                    nombre,
                    email,
                    empresa,
                    mensaje,
                },
                turnstile_token,
            })
        }
        _ => Err(errors),
    }
}
