//! `/api/admin/system-prompts/{nombre}` (original-api.md 11.10-11.11): the
//! AI system prompts, for clients whose IP is in `AI_PROMPT_ADMIN_IPS` (the
//! client IP as the trusted-proxy rule resolves it). No token. Stored in the
//! database, so every instance uses a change at once.

use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::features::shared::OkBody;
use crate::http::ApiJson;
use crate::http::client_ip::ClientIp;
use crate::http::error::{AppError, ErrorBody, MSG_FORBIDDEN};
use crate::http::extract::JsonOrEmpty;
use crate::http::extract::json::is_falsy;
use crate::http::state::AppState;

const MSG_NOT_FOUND: &str = "System prompt no encontrado.";
const MSG_CONTENT_REQUIRED: &str = "El campo contenido es obligatorio.";
const MSG_NAME_TOO_LONG: &str = "El nombre del prompt no puede superar 100 caracteres.";
const MSG_CONTENT_TOO_LONG: &str = "El contenido no puede superar 20000 caracteres.";
/// `system_prompts.nombre` is VARCHAR(100).
const NAME_MAX_CHARS: usize = 100;
/// Far above any useful prompt; keeps a stray paste from reaching every AI call.
const CONTENT_MAX_CHARS: usize = 20_000;

fn check_ip(state: &AppState, ip: ClientIp) -> Result<(), AppError> {
    if state.prompt_admins.iter().any(|net| net.contains(&ip.0)) {
        Ok(())
    } else {
        Err(AppError::forbidden(MSG_FORBIDDEN))
    }
}

#[derive(Serialize, ToSchema)]
pub struct PromptBody {
    pub contenido: String,
    pub nombre: String,
    pub ok: bool,
}

/// Prompt body: `contenido`, any non-empty value, as `content_of` returns it.
#[derive(Debug, Clone, PartialEq, Eq, ToSchema)]
pub struct PromptRequest {
    /// Any truthy JSON value (a string is stored as sent, another value as
    /// its text), at most 20000 characters; other keys are ignored.
    #[schema(rename = "contenido", schema_with = truthy_schema)]
    pub content: String,
}

/// Python's truthy values: a non-empty string (of at most 20000 characters),
/// `true`, a non-zero number, a non-empty array or object.
fn truthy_schema() -> utoipa::openapi::schema::Schema {
    use utoipa::openapi::schema::{AnyOfBuilder, ArrayBuilder, ObjectBuilder, Type};
    AnyOfBuilder::new()
        .item(
            ObjectBuilder::new()
                .schema_type(Type::String)
                .min_length(Some(1))
                .max_length(Some(CONTENT_MAX_CHARS)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Boolean)
                .enum_values(Some([true])),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .exclusive_minimum(Some(0.0)),
        )
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Number)
                .exclusive_maximum(Some(0.0)),
        )
        .item(ArrayBuilder::new().min_items(Some(1)))
        .item(
            ObjectBuilder::new()
                .schema_type(Type::Object)
                .min_properties(Some(1)),
        )
        .build()
        .into()
}

/// A stored system prompt (built-in defaults are not stored: 404 until set).
#[utoipa::path(get, path = "/api/admin/system-prompts/{nombre}", operation_id = "system_prompt_get", tag = "vault",
    params(("nombre" = String, Path, max_length = 100)),
    responses(
        (status = 200, description = "The prompt", body = PromptBody),
        (status = 403, description = "Acceso denegado.", body = ErrorBody),
        (status = 404, description = "System prompt no encontrado.", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(name): Path<String>,
) -> Result<ApiJson<PromptBody>, AppError> {
    check_ip(&state, ip)?;
    let content = state
        .store
        .system_prompt(&name)
        .await?
        .ok_or_else(|| AppError::not_found(MSG_NOT_FOUND))?;
    Ok(ApiJson::ok(PromptBody {
        contenido: content,
        nombre: name,
        ok: true,
    }))
}

/// The text stored for a truthy `contenido` (no type check, as the original).
fn content_of(body: &Value) -> Result<PromptRequest, AppError> {
    let content = body
        .get("contenido")
        .filter(|value| !is_falsy(value))
        .ok_or_else(|| AppError::unprocessable(vec![MSG_CONTENT_REQUIRED.into()]))?;
    let text = match content {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    };
    if text.chars().count() > CONTENT_MAX_CHARS {
        return Err(AppError::unprocessable(vec![MSG_CONTENT_TOO_LONG.into()]));
    }
    Ok(PromptRequest { content: text })
}

/// Creates or replaces a system prompt.
#[utoipa::path(put, path = "/api/admin/system-prompts/{nombre}", operation_id = "system_prompt_put", tag = "vault",
    params(("nombre" = String, Path, max_length = 100)),
    request_body(content = PromptRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = OkBody),
        (status = 403, description = "Acceso denegado.", body = ErrorBody),
        (status = 422, description = "El campo contenido es obligatorio.", body = ErrorBody),
    ))]
pub async fn put(
    State(state): State<AppState>,
    ip: ClientIp,
    Path(name): Path<String>,
    JsonOrEmpty(body): JsonOrEmpty,
) -> Result<ApiJson<OkBody>, AppError> {
    check_ip(&state, ip)?;
    let PromptRequest { content } = content_of(&body)?;
    if name.chars().count() > NAME_MAX_CHARS {
        return Err(AppError::unprocessable(vec![MSG_NAME_TOO_LONG.into()]));
    }
    state.store.set_system_prompt(&name, &content).await?;
    tracing::info!(prompt = %name, "system prompt saved");
    Ok(ApiJson::ok(OkBody { ok: true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn content_must_be_truthy_but_not_a_string() {
        assert_eq!(
            content_of(&json!({"contenido": "Hola"})).unwrap().content,
            "Hola"
        );
        assert_eq!(content_of(&json!({"contenido": 5})).unwrap().content, "5");
        for body in [
            json!({}),
            json!({"contenido": ""}),
            json!({"contenido": 0}),
            json!({"contenido": []}),
        ] {
            assert!(content_of(&body).is_err(), "{body}");
        }
        assert!(content_of(&json!({"contenido": "x".repeat(CONTENT_MAX_CHARS + 1)})).is_err());
    }
}
