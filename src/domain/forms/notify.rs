//! What a stored submission becomes on each channel (original-domain.md 7.4):
//! the access request's e-mail, and the Discord embeds of both forms.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{AccessRequest, ContactMessage};

/// Discord refuses a field value longer than this: a longer message is cut
/// (the original's webhook failed silently instead).
pub const DISCORD_FIELD_MAX: usize = 1024;
const FOOTER: &str = "Stay Sidekick — Formulario de contacto";
const NO_MESSAGE: &str = "(sin mensaje)";
const RULE: &str = "─────────────────────────────────────";

/// A webhook payload: `{"embeds": [embed]}`.
pub type Embed = Value;

/// Python's `isoformat()` of an aware UTC instant: `+00:00`, microseconds
/// only when there are any.
pub fn iso_timestamp(at: DateTime<Utc>) -> String {
    crate::domain::format::iso(at)
}

fn field(name: &str, value: &str, inline: bool) -> Value {
    let value = if value.chars().count() > DISCORD_FIELD_MAX {
        let mut cut: String = value.chars().take(DISCORD_FIELD_MAX - 1).collect();
        cut.push('…');
        cut
    } else {
        value.to_string()
    };
    json!({"inline": inline, "name": name, "value": value})
}

fn or_no_message(message: &str) -> &str {
    if message.is_empty() {
        NO_MESSAGE
    } else {
        message
    }
}

fn embed(title: &str, color: u32, fields: Vec<Value>, at: DateTime<Utc>) -> Embed {
    json!({"embeds": [{
        "color": color,
        "fields": fields,
        "footer": {"text": FOOTER},
        "timestamp": iso_timestamp(at),
        "title": title,
    }]})
}

/// `DISCORD_WEBHOOK_URL`'s embed of an access request received `at`.
pub fn access_embed(form: &AccessRequest, at: DateTime<Utc>) -> Embed {
    embed(
        "Nueva solicitud de contacto",
        0x5865F2,
        vec![
            field("Empresa", &form.company_name, true),
            field("Email", &form.company_email, true),
            field("Teléfono", &form.phone, true),
            field("Miembro", if form.is_member { "Si" } else { "No" }, true),
            field("Mensaje", or_no_message(&form.message), false),
        ],
        at,
    )
}

/// `DISCORD_WEBHOOK_CONTACT_URL`'s embed of a contact message received `at`.
pub fn contact_embed(form: &ContactMessage, at: DateTime<Utc>) -> Embed {
    let mut fields = vec![
        field("Nombre", &form.nombre, true),
        field("Email", &form.email, true),
    ];
    if !form.empresa.is_empty() {
        fields.push(field("Empresa", &form.empresa, true));
    }
    fields.push(field("Mensaje", or_no_message(&form.mensaje), false));
    embed("Nuevo mensaje de contacto", 0x57F287, fields, at)
}

/// The access request's e-mail: (subject, plain-text body).
pub fn access_mail(form: &AccessRequest) -> (String, String) {
    let subject = format!("[Stay Sidekick] Nueva solicitud de {}", form.company_name);
    let body = [
        "Se ha recibido una nueva solicitud desde el formulario de contacto.".to_string(),
        String::new(),
        RULE.to_string(),
        format!("  Empresa:   {}", form.company_name),
        format!("  Email:     {}", form.company_email),
        format!("  Teléfono:  {}", form.phone),
        format!("  Miembro:   {}", if form.is_member { "Sí" } else { "No" }),
        RULE.to_string(),
        String::new(),
        "Mensaje:".to_string(),
        format!("{}\n", or_no_message(&form.message)),
    ]
    .join("\n");
    (subject, body)
}
