//! `/api/notificaciones/checkin-tardio/plantillas[/{plantilla_id}]`: the late
//! check-in message templates (original-api.md 9.3-9.6), kept apart from
//! the vault's. Bodies are the original's "default-empty" JSON: a missing
//! `nombre` or `contenido` is its 400; a value that is not text, or too
//! long, is 422 (the original failed with a 500 there).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::sanitize::{multi_line, single_line};
use crate::domain::validation::{FieldErrors, MSG_INVALID_INPUT, MSG_NOT_STRING};
use crate::features::shared::OkBody;
use crate::http::ApiJson;
use crate::http::auth::AuthUser;
use crate::http::error::{AppError, ErrorBody, MSG_NOT_FOUND as MSG_NO_ROUTE};
use crate::http::extract::{JsonOrEmpty, PathId, PathResource};
use crate::http::state::AppState;
use crate::store::LateTemplate;

pub const MSG_NAME_REQUIRED: &str = "El nombre es obligatorio.";
pub const MSG_CONTENT_REQUIRED: &str = "El contenido es obligatorio.";
pub const MSG_NOT_FOUND: &str = "Plantilla no encontrada.";
/// `plantillas_vault.nombre` is VARCHAR(200).
pub const NAME_MAX_CHARS: usize = 200;
/// The vault's templates have no cap of their own; this is the system
/// prompts' (a message template is far shorter).
pub const CONTENT_MAX_CHARS: usize = 20_000;

#[derive(Serialize, ToSchema)]
pub struct LateTemplateView {
    pub contenido: String,
    pub id: Uuid,
    pub nombre: String,
}

impl From<LateTemplate> for LateTemplateView {
    fn from(t: LateTemplate) -> Self {
        LateTemplateView {
            contenido: t.content,
            id: t.id,
            nombre: t.name,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct LateTemplatesBody {
    pub ok: bool,
    pub plantillas: Vec<LateTemplateView>,
}

#[derive(Serialize, ToSchema)]
pub struct LateTemplateBody {
    pub ok: bool,
    pub plantilla: LateTemplateView,
}

/// Template body (POST and PUT), as `parse_template` returns it: both
/// values trimmed, not empty (else 400), `nombre` at most 200 characters,
/// `contenido` at most 20,000 (else 422). Other keys are ignored.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
pub struct LateTemplateRequest {
    /// 1 to 200 characters once trimmed (the class is `trim()`'s whitespace).
    #[serde(rename = "nombre")]
    #[schema(
        pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([\s\S]{0,198}[^\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub name: String,
    /// 1 to 20,000 characters once trimmed.
    #[serde(rename = "contenido")]
    #[schema(
        pattern = r"^[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*[^\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]([\s\S]{0,19998}[^\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000])?[\t\n\x0B\f\r \x85\xA0\u1680\u2000-\u200A\u2028\u2029\u202F\u205F\u3000]*$"
    )]
    pub content: String,
}

/// Why a body was refused: missing values (field, message; the original's
/// 400 shows the first) or invalid values (422).
#[derive(Debug, Clone, PartialEq)]
pub enum TemplateError {
    Missing(Vec<(&'static str, &'static str)>),
    Invalid(FieldErrors),
}

impl From<TemplateError> for AppError {
    fn from(err: TemplateError) -> Self {
        match err {
            TemplateError::Missing(missing) => {
                AppError::bad_request(missing.first().map(|(_, m)| *m).unwrap_or_default())
            }
            TemplateError::Invalid(errors) => AppError::unprocessable(errors.flatten()),
        }
    }
}

/// Python's `(value or "").strip()`: a falsy value is empty; other
/// non-strings are an error.
fn text(value: Option<&Value>) -> Result<String, ()> {
    match value {
        None | Some(Value::Null) | Some(Value::Bool(false)) => Ok(String::new()),
        Some(Value::String(s)) => Ok(s.trim().to_string()),
        Some(Value::Number(n)) if n.as_f64() == Some(0.0) => Ok(String::new()),
        Some(Value::Array(a)) if a.is_empty() => Ok(String::new()),
        Some(Value::Object(o)) if o.is_empty() => Ok(String::new()),
        Some(_) => Err(()),
    }
}

pub fn parse_template(body: &Value) -> Result<LateTemplateRequest, TemplateError> {
    let mut errors = FieldErrors::new();
    let Some(fields) = body.as_object() else {
        errors.add("_schema", MSG_INVALID_INPUT);
        return Err(TemplateError::Invalid(errors));
    };
    let name = text(fields.get("nombre"));
    let content = text(fields.get("contenido"));
    if name.is_err() {
        errors.add("nombre", MSG_NOT_STRING);
    }
    if content.is_err() {
        errors.add("contenido", MSG_NOT_STRING);
    }
    let (Ok(name), Ok(content)) = (name, content) else {
        return Err(TemplateError::Invalid(errors));
    };
    let missing: Vec<_> = [
        ("nombre", MSG_NAME_REQUIRED, name.is_empty()),
        ("contenido", MSG_CONTENT_REQUIRED, content.is_empty()),
    ]
    .into_iter()
    .filter(|(_, _, empty)| *empty)
    .map(|(field, message, _)| (field, message))
    .collect();
    if !missing.is_empty() {
        return Err(TemplateError::Missing(missing));
    }
    if name.chars().count() > NAME_MAX_CHARS {
        errors.add(
            "nombre",
            format!("Longer than maximum length {NAME_MAX_CHARS}."),
        );
    }
    if content.chars().count() > CONTENT_MAX_CHARS {
        errors.add(
            "contenido",
            format!("Longer than maximum length {CONTENT_MAX_CHARS}."),
        );
    }
    if !errors.is_empty() {
        return Err(TemplateError::Invalid(errors));
    }
    // Checked as sent (the document's limits), stored without controls.
    Ok(LateTemplateRequest {
        name: single_line(&name),
        content: multi_line(&content),
    })
}

/// A template id in the path: anything but a UUID is no route of the
/// original (its converter), so the plain JSON 404, before authentication.
pub enum LateTemplateRoute {}

impl PathResource for LateTemplateRoute {
    const NOT_FOUND: &'static str = MSG_NO_ROUTE;
}

type LateTemplateId = PathId<LateTemplateRoute>;

/// Active late check-in templates, oldest first.
#[utoipa::path(get, path = "/api/notificaciones/checkin-tardio/plantillas", operation_id = "late_templates_list", tag = "checkin-tardio", security(("bearer" = [])),
    responses((status = 200, description = "Templates", body = LateTemplatesBody)))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<LateTemplatesBody>, AppError> {
    let templates = state.store.late_templates(user.company_id()).await?;
    Ok(ApiJson::ok(LateTemplatesBody {
        ok: true,
        plantillas: templates.into_iter().map(LateTemplateView::from).collect(),
    }))
}

/// Creates a template (values trimmed).
#[utoipa::path(post, path = "/api/notificaciones/checkin-tardio/plantillas", operation_id = "late_templates_create", tag = "checkin-tardio", security(("bearer" = [])),
    request_body(content = LateTemplateRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = LateTemplateBody),
        (status = 400, description = "El nombre es obligatorio. / El contenido es obligatorio.", body = ErrorBody),
        (status = 422, description = "Not text, or too long", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    JsonOrEmpty(body): JsonOrEmpty,
) -> Result<ApiJson<LateTemplateBody>, AppError> {
    let request = parse_template(&body)?;
    let template = state
        .store
        .create_late_template(user.company_id(), &request.name, &request.content)
        .await?;
    Ok(ApiJson(
        StatusCode::CREATED,
        LateTemplateBody {
            ok: true,
            plantilla: template.into(),
        },
    ))
}

/// Replaces a template's name and content (checked before the lookup, as
/// the original; inactive templates too).
#[utoipa::path(put, path = "/api/notificaciones/checkin-tardio/plantillas/{plantilla_id}", operation_id = "late_templates_update", tag = "checkin-tardio", security(("bearer" = [])),
    params(("plantilla_id" = Uuid, Path)),
    request_body(content = LateTemplateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Updated", body = LateTemplateBody),
        (status = 400, description = "El nombre es obligatorio. / El contenido es obligatorio.", body = ErrorBody),
        (status = 404, description = "Plantilla no encontrada. (or a malformed id: Recurso no encontrado.)", body = ErrorBody),
        (status = 422, description = "Not text, or too long", body = ErrorBody),
    ))]
pub async fn update(
    PathId(id, _): LateTemplateId,
    State(state): State<AppState>,
    user: AuthUser,
    JsonOrEmpty(body): JsonOrEmpty,
) -> Result<ApiJson<LateTemplateBody>, AppError> {
    let request = parse_template(&body)?;
    let template = state
        .store
        .update_late_template(user.company_id(), id, &request.name, &request.content)
        .await?
        .ok_or_else(|| AppError::not_found(MSG_NOT_FOUND))?;
    Ok(ApiJson::ok(LateTemplateBody {
        ok: true,
        plantilla: template.into(),
    }))
}

/// Deletes a template for good (the vault's delete is soft).
#[utoipa::path(delete, path = "/api/notificaciones/checkin-tardio/plantillas/{plantilla_id}", operation_id = "late_templates_delete", tag = "checkin-tardio", security(("bearer" = [])),
    params(("plantilla_id" = Uuid, Path)),
    responses(
        (status = 200, description = "Deleted", body = OkBody),
        (status = 404, description = "Plantilla no encontrada. (or a malformed id: Recurso no encontrado.)", body = ErrorBody),
    ))]
pub async fn delete(
    PathId(id, _): LateTemplateId,
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<OkBody>, AppError> {
    if !state
        .store
        .delete_late_template(user.company_id(), id)
        .await?
    {
        return Err(AppError::not_found(MSG_NOT_FOUND));
    }
    Ok(ApiJson::ok(OkBody { ok: true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_are_read_like_the_original() {
        assert_eq!(
            parse_template(&json!({"nombre": "  Aviso ", "contenido": " Hola {NOMBRE} ", "x": 1})),
            Ok(LateTemplateRequest {
                name: "Aviso".into(),
                content: "Hola {NOMBRE}".into()
            })
        );
        assert_eq!(
            parse_template(&json!({})),
            Err(TemplateError::Missing(vec![
                ("nombre", MSG_NAME_REQUIRED),
                ("contenido", MSG_CONTENT_REQUIRED)
            ]))
        );
        assert_eq!(
            parse_template(&json!({"nombre": "x", "contenido": false})),
            Err(TemplateError::Missing(vec![(
                "contenido",
                MSG_CONTENT_REQUIRED
            )]))
        );
        let Err(TemplateError::Invalid(errors)) =
            parse_template(&json!({"nombre": 5, "contenido": ["a"]}))
        else {
            panic!("invalid");
        };
        assert_eq!(
            errors.flatten(),
            vec![
                "nombre: Not a valid string.",
                "contenido: Not a valid string."
            ]
        );
        let Err(TemplateError::Invalid(errors)) =
            parse_template(&json!({"nombre": "n".repeat(201), "contenido": "c"}))
        else {
            panic!("too long");
        };
        assert_eq!(
            errors.flatten(),
            vec!["nombre: Longer than maximum length 200."]
        );
    }
}
