use chrono::{TimeZone, Utc};
use serde_json::json;

use super::*;

fn access_errors(body: Value) -> Vec<String> {
    parse_access_request(&body).unwrap_err().flatten()
}

fn valid_access() -> Value {
    json!({"company_name": " <b>Acme</b>  Rentals ", "company_email": " Info@ACME.es ",
        "country_code": "es", "phone": "612 345 678", "is_member": "yes", "message": "Hola",
        "turnstile_token": " tok ", "privacy_accepted": true, "website": "", "extra": 1})
}

#[test]
fn a_valid_access_request_is_cleaned_and_normalised() {
    let parsed = parse_access_request(&valid_access()).unwrap();
    assert_eq!(parsed.turnstile_token, "tok");
    assert_eq!(parsed.form.company_name, "Acme Rentals");
    assert_eq!(parsed.form.country_code, "ES");
    assert_eq!(parsed.form.phone, "+34612345678");
    assert!(parsed.form.is_member);
    assert_eq!(parsed.form.message, "Hola");
}

#[test]
fn missing_access_fields_use_the_original_messages_in_order() {
    assert_eq!(
        access_errors(json!({"x": 1})),
        vec![
            "company_name: El nombre de la empresa es obligatorio.",
            "company_email: El correo de la empresa es obligatorio.",
            "country_code: El código de país es obligatorio.",
            "phone: El teléfono es obligatorio.",
            "is_member: Indica si ya eres miembro.",
            "turnstile_token: El token de verificación es obligatorio.",
            "privacy_accepted: Debes aceptar la política de privacidad.",
        ]
    );
}

#[test]
fn field_rules_precede_validators_and_the_phone_check_comes_last() {
    let mut body = valid_access();
    body["country_code"] = json!("ZZ");
    body["company_email"] = json!("nope");
    body["privacy_accepted"] = json!(false);
    body["is_member"] = json!("maybe");
    assert_eq!(
        access_errors(body),
        vec![
            "is_member: Not a valid boolean.",
            "country_code: El código de país no es válido.",
            "company_email: El correo electrónico no es válido.",
            "privacy_accepted: Debes aceptar la política de privacidad.",
        ]
    );
    let mut body = valid_access();
    body["country_code"] = json!("ESP");
    assert_eq!(access_errors(body), vec!["country_code: Length must be 2."]);
    let mut body = valid_access();
    body["phone"] = json!("123456");
    assert_eq!(
        access_errors(body),
        vec!["phone: El número de teléfono no es válido para el país seleccionado."]
    );
}

#[test]
fn contact_messages_and_lengths() {
    let errors = parse_contact(&json!({})).unwrap_err().messages();
    assert_eq!(
        errors,
        vec![
            "El nombre es obligatorio.",
            "El correo electrónico es obligatorio.",
            "El mensaje es obligatorio.",
            "El token de verificación es obligatorio.",
        ]
    );
    let errors = parse_contact(&json!({"nombre": "Ana", "email": "x", "mensaje": "corto",
        "turnstile_token": "t"}))
    .unwrap_err()
    .messages();
    assert_eq!(
        errors,
        vec![
            "Length must be between 10 and 2000.",
            "El correo electrónico no es válido."
        ]
    );
    let ok = parse_contact(&json!({"nombre": "Ana\nGil", "email": " A@B.COM ",
        "mensaje": "Un mensaje largo", "turnstile_token": "t"}))
    .unwrap();
    assert_eq!(ok.form.nombre, "Ana Gil");
    assert_eq!(ok.form.email, "A@B.COM");
    assert_eq!(ok.form.empresa, "");
}

#[test]
fn honeypot_is_any_filled_website() {
    assert!(!honeypot_filled(&json!({"website": ""})));
    assert!(!honeypot_filled(&json!({})));
    assert!(honeypot_filled(&json!({"website": "http://spam"})));
    assert!(honeypot_filled(&json!({"website": 1})));
}

#[test]
fn embeds_and_mail_carry_the_original_fields() {
    let form = parse_access_request(&valid_access()).unwrap().form;
    let at = Utc.with_ymd_and_hms(2026, 12, 5, 9, 0, 0).unwrap();
    let embed = access_embed(&form, at);
    let e = &embed["embeds"][0];
    assert_eq!(e["title"], "Nueva solicitud de contacto");
    assert_eq!(e["color"], 5793266);
    assert_eq!(e["timestamp"], "2026-12-05T09:00:00+00:00");
    assert_eq!(
        e["fields"][2],
        json!({"name": "Teléfono", "value": "+34612345678", "inline": true})
    );
    assert_eq!(e["fields"][3]["value"], "Si");
    assert_eq!(e["fields"][4]["inline"], false);
    let (subject, body) = access_mail(&form);
    assert_eq!(subject, "[Stay Sidekick] Nueva solicitud de Acme Rentals");
    assert!(body.contains("  Miembro:   Sí\n"));
    assert!(body.ends_with("Mensaje:\nHola\n"));

    let contact = ContactMessage {
        nombre: "Ana".into(),
        email: "a@b.es".into(),
        empresa: String::new(),
        mensaje: "x".repeat(1500),
    };
    let embed = contact_embed(&contact, at);
    let fields = embed["embeds"][0]["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 3, "no Empresa when empty");
    assert_eq!(embed["embeds"][0]["color"], 5763719);
    assert_eq!(
        fields[2]["value"].as_str().unwrap().chars().count(),
        DISCORD_FIELD_MAX
    );
}
