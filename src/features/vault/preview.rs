//! `POST /api/vault/plantillas/{id}/vista-previa` (ours): a template rendered
//! with the placeholder values given, or samples, with its placeholders and
//! their problems.

use std::collections::BTreeMap;

use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::placeholders;
use crate::domain::validation::FieldErrors;
use crate::domain::vault::MSG_NOT_FOUND;
use crate::features::vault::templates::TemplateId;
use crate::http::ApiJson;
use crate::http::auth::AuthUser;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::{JsonOrEmpty, PathId};
use crate::http::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct PreviewBody {
    /// The template with every placeholder replaced (given values first, then samples).
    pub contenido: String,
    /// The well-formed placeholders of the template, in order of first use.
    pub marcadores: Vec<String>,
    pub ok: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Preview body: `valores`, an optional object of placeholder name to text.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PreviewRequest {
    /// Absent or null: none.
    #[serde(rename = "valores")]
    #[schema(value_type = Option<BTreeMap<String, String>>)]
    pub values: BTreeMap<String, String>,
}

pub fn parse_preview(body: &Value) -> Result<PreviewRequest, FieldErrors> {
    let mut errors = FieldErrors::new();
    let Some(fields) = body.as_object() else {
        errors.add("_schema", "Invalid input type.");
        return Err(errors);
    };
    let mut values = BTreeMap::new();
    match fields.get("valores") {
        None | Some(Value::Null) => {}
        Some(Value::Object(given)) => {
            for (name, value) in given {
                match value {
                    Value::String(text) => {
                        values.insert(name.clone(), text.clone());
                    }
                    _ => errors.add("valores", format!("{name}: Not a valid string.")),
                }
            }
        }
        Some(_) => errors.add("valores", "Not a valid mapping type."),
    }
    for key in fields.keys().filter(|key| *key != "valores") {
        errors.add(key, "Unknown field.");
    }
    if errors.is_empty() {
        Ok(PreviewRequest { values })
    } else {
        Err(errors)
    }
}

/// Renders an active template with the given placeholder values, or samples (ours).
#[utoipa::path(post, path = "/api/vault/plantillas/{plantilla_id}/vista-previa", operation_id = "vault_templates_preview", tag = "vault", security(("bearer" = [])),
    params(("plantilla_id" = Uuid, Path)),
    request_body(content = PreviewRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "The rendered text", body = PreviewBody),
        (status = 404, description = "Plantilla no encontrada.", body = ErrorBody),
        (status = 422, description = "Validation errors", body = ErrorBody),
    ))]
pub async fn preview(
    PathId(id, _): TemplateId,
    State(state): State<AppState>,
    user: AuthUser,
    JsonOrEmpty(body): JsonOrEmpty,
) -> Result<ApiJson<PreviewBody>, AppError> {
    let template = state
        .store
        .active_template(user.company_id(), id)
        .await?
        .ok_or_else(|| AppError::not_found(MSG_NOT_FOUND))?;
    let PreviewRequest { values } =
        parse_preview(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    Ok(ApiJson::ok(PreviewBody {
        contenido: placeholders::render(&template.content, &values),
        marcadores: placeholders::names(&template.content)
            .into_iter()
            .map(String::from)
            .collect(),
        ok: true,
        warnings: placeholders::warnings(&template.content),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn preview_values_must_be_text() {
        assert!(parse_preview(&json!({})).unwrap().values.is_empty());
        assert_eq!(
            parse_preview(&json!({"valores": {"NOMBRE": 3}, "x": 1}))
                .unwrap_err()
                .flatten(),
            vec!["valores: NOMBRE: Not a valid string.", "x: Unknown field."]
        );
    }
}
