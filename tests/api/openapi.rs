//! The OpenAPI document against the code: every operation has a unique id,
//! and every documented JSON request body matches the hand-written parser
//! that reads it (the body contract). Read from `app::openapi()`, the
//! document the server serves, so a schema and its parser cannot drift apart.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::{Map, Value, json};
use stay_sidekick::domain::forms;
use stay_sidekick::domain::validation::{FieldErrors, MSG_REQUIRED, MSG_UNKNOWN};
use stay_sidekick::features::apartments::{catalogue, pms_config};
use stay_sidekick::features::contacts::{
    preferences as contacts_preferences, sync as contacts_sync,
};
use stay_sidekick::features::forms::admin as forms_admin;
use stay_sidekick::features::heatmap::settings as heatmap;
use stay_sidekick::features::late_checkins::templates as late_templates;
use stay_sidekick::features::profile::{account, integrations, settings};
use stay_sidekick::features::vault::{ai, preview, templates};
use stay_sidekick::features::{auth, companies, users};

fn document() -> Value {
    serde_json::from_str(&stay_sidekick::app::openapi().to_json().unwrap()).unwrap()
}

const METHODS: &[&str] = &["get", "put", "post", "delete", "patch", "head", "options"];

#[test]
fn every_operation_has_a_unique_operation_id() {
    let doc = document();
    let mut seen = BTreeMap::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in METHODS {
            let Some(operation) = item.get(*method) else {
                continue;
            };
            let id = operation["operationId"]
                .as_str()
                .filter(|id| !id.is_empty())
                .unwrap_or_else(|| panic!("{method} {path}: no operationId"));
            if let Some(other) = seen.insert(id.to_string(), format!("{method} {path}")) {
                panic!("operationId {id} used by {other} and {method} {path}");
            }
        }
    }
    assert!(seen.len() >= 49, "{} operations", seen.len());
}

/// Field -> its messages, whatever shape the parser reports them in.
type Errors = BTreeMap<String, Vec<String>>;

fn from_field_errors<T>(result: Result<T, FieldErrors>) -> Result<(), Errors> {
    result.map(|_| ()).map_err(|errors| {
        errors
            .fields()
            .iter()
            .map(|(field, messages)| (field.clone(), messages.clone()))
            .collect()
    })
}

/// One documented body: its schema's name, its parser, and a minimal valid
/// instance (the boundaries are tried on it one property at a time).
struct Body {
    schema: &'static str,
    parse: fn(&Value) -> Result<(), Errors>,
    valid: Value,
    /// Login reads every value with Python's `str()`: no type errors.
    lenient_types: bool,
    /// Messages a missing required field may carry instead of marshmallow's.
    required_messages: &'static [&'static str],
}

fn body(schema: &'static str, parse: fn(&Value) -> Result<(), Errors>, valid: Value) -> Body {
    Body {
        schema,
        parse,
        valid,
        lenient_types: false,
        required_messages: &[MSG_REQUIRED],
    }
}

/// Every JSON request body of the API (but the system prompt's, which has no
/// field parser: any truthy `contenido`, other keys ignored).
fn bodies() -> Vec<Body> {
    vec![
        Body {
            lenient_types: true,
            required_messages: &[
                "El correo electrónico es obligatorio.",
                "La contraseña es obligatoria.",
            ],
            ..body(
                "LoginRequest",
                |v| {
                    auth::LoginRequest::parse(v).map(|_| ()).map_err(|errors| {
                        let mut out = Errors::new();
                        for e in errors {
                            let (field, message) = e.split_once(": ").unwrap();
                            out.entry(field.to_string())
                                .or_default()
                                .push(message.to_string());
                        }
                        out
                    })
                },
                json!({"email": "a@example.com", "password": "secreto12"}),
            )
        },
        body(
            "NewCompanyRequest",
            |v| from_field_errors(companies::parse_new_company(v)),
            json!({"nombre": "Acme", "email": "ops@example.com"}),
        ),
        body(
            "NewUserRequest",
            |v| from_field_errors(users::parse_new_user(v)),
            json!({"email": "ana@example.com", "rol": "admin"}),
        ),
        body(
            "RoleRequest",
            |v| from_field_errors(users::parse_role(v)),
            json!({"rol": "operativo"}),
        ),
        body(
            "ApartmentRequest",
            |v| from_field_errors(catalogue::parse_new(v)),
            json!({"nombre": "Ático"}),
        ),
        body(
            "ApartmentChangesRequest",
            |v| from_field_errors(catalogue::parse_changes(v)),
            json!({}),
        ),
        body(
            "PmsSettingsRequest",
            |v| from_field_errors(pms_config::parse_settings(v, false)),
            json!({"proveedor": "smoobu", "api_key": "k"}),
        ),
        body(
            "PmsRequest",
            |v| from_field_errors(integrations::parse_pms(v)),
            json!({"proveedor": "beds24", "api_key": "k"}),
        ),
        body(
            "AiInput",
            |v| from_field_errors(integrations::parse_ai(v, false)),
            // The endpoint `openai_compatible` requires (ignored by the others).
            json!({"proveedor": "default", "endpoint": "https://ai.example.com/v1"}),
        ),
        body(
            "PasswordRequest",
            |v| from_field_errors(account::parse_password_change(v)),
            json!({"password_actual": "x", "password_nueva": "nueva-clave-1"}),
        ),
        body(
            "XlsxRequest",
            |v| from_field_errors(settings::parse_xlsx(v)),
            json!({"col_id_externo": 1, "col_nombre": 2}),
        ),
        body(
            "LateRequest",
            |v| from_field_errors(settings::parse_late(v)),
            json!({"hora_corte": "20:30"}),
        ),
        body(
            "ThresholdsRequest",
            // The order nivel1 < nivel2 < nivel3 relates the fields, which JSON
            // Schema cannot state: its `_schema` error is left out here (and
            // accepted in .ci/openapi_hooks.py), each field's rules are checked.
            |v| {
                from_field_errors(heatmap::parse_thresholds(v)).or_else(|errors| {
                    if errors.keys().all(|k| k == "_schema") {
                        Ok(())
                    } else {
                        Err(errors)
                    }
                })
            },
            json!({"nivel1": 1, "nivel2": 2, "nivel3": 3}),
        ),
        body(
            "ColumnsRequest",
            |v| from_field_errors(heatmap::parse_columns(v)),
            json!({"col_fecha_checkin": "C"}),
        ),
        body(
            "TemplateRequest",
            |v| from_field_errors(templates::parse_new(v)),
            json!({"nombre": "Bienvenida", "contenido": "Hola"}),
        ),
        body(
            "TemplateUpdateRequest",
            |v| from_field_errors(templates::parse_update(v)),
            json!({"nombre": "Bienvenida", "contenido": "Hola"}),
        ),
        body(
            "PreviewRequest",
            |v| from_field_errors(preview::parse_preview(v)),
            json!({}),
        ),
        body(
            "ImproveRequest",
            |v| from_field_errors(ai::parse_improve(v)),
            json!({"contenido": "Hola", "idioma": "es"}),
        ),
        Body {
            required_messages: &[
                late_templates::MSG_NAME_REQUIRED,
                late_templates::MSG_CONTENT_REQUIRED,
            ],
            ..body(
                "LateTemplateRequest",
                |v| {
                    late_templates::parse_template(v)
                        .map(|_| ())
                        .map_err(|err| match err {
                            late_templates::TemplateError::Missing(missing) => missing
                                .into_iter()
                                .map(|(f, m)| (f.to_string(), vec![m.to_string()]))
                                .collect(),
                            late_templates::TemplateError::Invalid(errors) => errors
                                .fields()
                                .iter()
                                .map(|(f, m)| (f.clone(), m.clone()))
                                .collect(),
                        })
                },
                json!({"nombre": "Aviso", "contenido": "Hola"}),
            )
        },
        Body {
            lenient_types: true,
            required_messages: &[
                "El nombre de la empresa es obligatorio.",
                "El correo de la empresa es obligatorio.",
                "El código de país es obligatorio.",
                "El teléfono es obligatorio.",
                "Indica si ya eres miembro.",
                "El token de verificación es obligatorio.",
                "Debes aceptar la política de privacidad.",
            ],
            ..body(
                "AccessRequestBody",
                |v| from_field_errors(forms::parse_access_request(v)),
                json!({"company_name": "Acme", "company_email": "ops@acme.es",
                    "country_code": "ES", "phone": "+34612345678", "is_member": false,
                    "turnstile_token": "t", "privacy_accepted": true}),
            )
        },
        Body {
            lenient_types: true,
            required_messages: &[
                "El nombre es obligatorio.",
                "El correo electrónico es obligatorio.",
                "El mensaje es obligatorio.",
                "El token de verificación es obligatorio.",
            ],
            ..body(
                "ContactRequestBody",
                |v| from_field_errors(forms::parse_contact(v)),
                json!({"nombre": "Ana", "email": "ana@cliente.es",
                    "mensaje": "Un mensaje largo", "turnstile_token": "t"}),
            )
        },
        body(
            "HandledRequest",
            |v| from_field_errors(forms_admin::parse_handled(v)),
            json!({"atendida": true}),
        ),
        body(
            "ContactsPreferencesRequest",
            |v| from_field_errors(contacts_preferences::parse_preferences(v)),
            json!({"plantilla": "{NOMBRE}"}),
        ),
        body(
            "ContactsRangeRequest",
            |v| from_field_errors(contacts_sync::parse_range(v)),
            json!({}),
        ),
        body(
            "TranslateRequest",
            |v| from_field_errors(ai::parse_translate(v)),
            json!({"contenido": "Hola", "idioma_destino": "en"}),
        ),
    ]
}

/// The JSON types a property allows.
fn types(property: &Value) -> Vec<String> {
    match &property["type"] {
        Value::String(t) => vec![t.clone()],
        Value::Array(ts) => ts.iter().map(|t| t.as_str().unwrap().to_string()).collect(),
        _ => Vec::new(),
    }
}

/// A string of `n` characters valid for `property` (an email when it has that format).
fn text(property: &Value, n: usize) -> String {
    if property["format"] == "email" && n >= 8 {
        // local part of at most 60, then labels of at most 50, then ".com".
        let local = "a".repeat((n - 5).min(60));
        let mut domain = String::new();
        let mut left = n - local.len() - 1 - 4;
        while left > 0 {
            if !domain.is_empty() {
                domain.push('.');
                left -= 1;
                if left == 0 {
                    domain.push('b');
                    break;
                }
            }
            let take = left.min(50);
            domain.push_str(&"b".repeat(take));
            left -= take;
        }
        let email = format!("{local}@{domain}.com");
        assert_eq!(email.chars().count(), n);
        email
    } else {
        "a".repeat(n)
    }
}

fn with(valid: &Value, name: &str, value: Value) -> Value {
    let mut object = valid.as_object().unwrap().clone();
    object.insert(name.to_string(), value);
    Value::Object(object)
}

#[test]
fn every_documented_body_matches_its_parser() {
    let doc = document();
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    let mut documented: BTreeSet<String> = BTreeSet::new();
    for item in doc["paths"].as_object().unwrap().values() {
        for method in METHODS {
            let body = &item[*method]["requestBody"]["content"]["application/json"]["schema"];
            if let Some(reference) = body["$ref"].as_str() {
                documented.insert(reference.rsplit('/').next().unwrap().to_string());
            }
        }
    }
    let bodies = bodies();
    let listed: BTreeSet<String> = bodies.iter().map(|b| b.schema.to_string()).collect();
    let unlisted: Vec<_> = documented
        .difference(&listed)
        .filter(|name| *name != "PromptRequest")
        .collect();
    assert!(
        unlisted.is_empty(),
        "add these bodies to bodies(): {unlisted:?}"
    );

    let mut failures = Vec::new();
    for body in &bodies {
        let name = body.schema;
        let schema = &schemas[name];
        assert!(schema.is_object(), "{name}: not in components.schemas");
        let properties = schema["properties"].as_object().unwrap();
        let required: BTreeSet<String> = schema["required"]
            .as_array()
            .map(|r| r.iter().map(|f| f.as_str().unwrap().to_string()).collect())
            .unwrap_or_default();
        let parse = |value: &Value| (body.parse)(value);
        let mut fail = |what: String| failures.push(format!("{name}: {what}"));

        // 0. The minimal valid instance parses (else the rest proves nothing).
        if let Err(errors) = parse(&body.valid) {
            fail(format!("the valid instance is refused: {errors:?}"));
            continue;
        }

        // 1. `{}` reports "missing" exactly for the schema's `required`.
        let missing: BTreeSet<String> = match parse(&json!({})) {
            Ok(()) => BTreeSet::new(),
            Err(errors) => {
                for (field, messages) in &errors {
                    if !messages
                        .iter()
                        .all(|m| body.required_messages.contains(&m.as_str()))
                    {
                        fail(format!("{{}}: {field}: {messages:?}"));
                    }
                }
                errors.into_keys().collect()
            }
        };
        if missing != required {
            fail(format!(
                "required {required:?}, parser requires {missing:?}"
            ));
        }

        // 2. A wrong type in every documented property is an error of that property.
        if !body.lenient_types {
            let mut wrong = Map::new();
            for (field, property) in properties {
                let types = types(property);
                let value = if types.iter().any(|t| t == "string") {
                    json!([1])
                } else {
                    json!("not-a-number")
                };
                wrong.insert(field.clone(), value);
            }
            let errors = parse(&Value::Object(wrong)).err().unwrap_or_default();
            for field in properties.keys() {
                match errors.get(field) {
                    None => fail(format!("{field}: a wrong type is accepted")),
                    Some(messages) if messages.iter().any(|m| m == MSG_UNKNOWN) => {
                        fail(format!("{field}: documented, but unknown to the parser"))
                    }
                    Some(_) => {}
                }
            }
        }

        // 3. An unknown key is refused exactly when the schema says so.
        let closed = schema["additionalProperties"] == json!(false);
        let probe = parse(&with(&body.valid, "__probe", json!(1)));
        let refused = probe
            .as_ref()
            .err()
            .and_then(|e| e.get("__probe"))
            .is_some_and(|m| m.iter().any(|m| m == MSG_UNKNOWN));
        if closed != refused {
            fail(format!(
                "additionalProperties false: {closed}, parser refuses __probe: {refused}"
            ));
        }

        // 4. Boundaries: at the limit parses, one step past fails on that field.
        for (field, property) in properties {
            let accepts = |value: Value| parse(&with(&body.valid, field, value));
            let mut at_limit = |value: Value, what: &str| {
                if let Err(errors) = accepts(value) {
                    fail(format!("{field}: {what} is refused: {errors:?}"));
                }
            };
            let mut past = Vec::new();
            if let Some(choices) = property["enum"].as_array() {
                for choice in choices {
                    at_limit(choice.clone(), &format!("enum value {choice}"));
                }
                past.push((
                    json!("__not_a_choice"),
                    "a value outside the enum".to_string(),
                ));
            }
            let patterned = property.get("pattern").is_some();
            if let Some(max) = property["maxLength"].as_u64().filter(|_| !patterned) {
                at_limit(json!(text(property, max as usize)), "maxLength");
                past.push((
                    json!(text(property, max as usize + 1)),
                    "maxLength + 1".into(),
                ));
            }
            let email = property["format"] == "email";
            if let Some(min) = property["minLength"]
                .as_u64()
                .filter(|_| !patterned && !email)
            {
                at_limit(json!(text(property, min as usize)), "minLength");
                if min > 0 {
                    past.push((
                        json!(text(property, min as usize - 1)),
                        "minLength - 1".into(),
                    ));
                }
            }
            if let Some(min) = property["minimum"].as_i64() {
                at_limit(json!(min), "minimum");
                past.push((json!(min - 1), "minimum - 1".into()));
            }
            if let Some(max) = property["maximum"].as_i64() {
                at_limit(json!(max), "maximum");
                past.push((json!(max + 1), "maximum + 1".into()));
            }
            let types = types(property);
            if types.iter().any(|t| t == "null") {
                at_limit(Value::Null, "null");
            } else if !body.lenient_types && !types.is_empty() {
                past.push((Value::Null, "null".into()));
            }
            for (value, what) in past {
                match accepts(value) {
                    Err(errors) if errors.contains_key(field.as_str()) => {}
                    other => fail(format!("{field}: {what} is not refused: {other:?}")),
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// utoipa keys schemas by type name, so two types of one name overwrite each
/// other silently: the contacts answers must be documented as themselves.
#[test]
fn contacts_answers_are_documented_as_themselves() {
    let doc = document();
    let schemas = &doc["components"]["schemas"];
    for (name, property) in [
        ("GoogleStatusBody", "google"),
        ("ContactsSyncBody", "resultado"),
        ("ContactsPreferencesBody", "preferencias"),
        ("AuthUrlBody", "url"),
    ] {
        assert!(
            schemas[name]["properties"][property].is_object(),
            "{name} lacks {property}: {}",
            schemas[name]
        );
    }
    let status = &doc["paths"]["/api/contactos/google/status"]["get"]["responses"]["200"];
    assert_eq!(
        status["content"]["application/json"]["schema"]["$ref"],
        json!("#/components/schemas/GoogleStatusBody")
    );
}
