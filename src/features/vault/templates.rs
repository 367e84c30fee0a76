//! `/api/vault/plantillas`: the company's guest-message templates
//! (original-api.md 11.1-11.4); the preview is in `preview.rs`.
//! Any authenticated user. Validation errors are messages without field
//! names, as the original's vault writes them.

use axum::extract::{RawQuery, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::placeholders;
use crate::domain::sanitize::{multi_line, single_line};
use crate::domain::validation::{FieldErrors, Input};
use crate::domain::vault::{
    CATEGORIES, DEFAULT_LANGUAGE, LANGUAGES, MSG_CATEGORY, MSG_CONTENT_EMPTY, MSG_LANGUAGE,
    MSG_NAME_LENGTH, MSG_NOT_FOUND, NAME_MAX_CHARS,
};
use crate::features::shared::{OkBody, one_of_schema};
use crate::http::ApiJson;
use crate::http::auth::AuthUser;
use crate::http::error::{AppError, ErrorBody, MSG_NOT_FOUND as MSG_NO_ROUTE};
use crate::http::extract::{JsonOrEmpty, PathId, PathResource};
use crate::http::state::AppState;
use crate::store::{NewTemplate, Template, TemplateFilter, TemplateUpdate};

/// A template on the wire (no timestamps, as the original).
#[derive(Serialize, ToSchema)]
pub struct TemplateView {
    pub activa: bool,
    pub categoria: Option<String>,
    pub contenido: String,
    pub id: Uuid,
    pub idioma: String,
    pub nombre: String,
}

impl From<Template> for TemplateView {
    fn from(t: Template) -> Self {
        TemplateView {
            activa: t.active,
            categoria: t.category,
            contenido: t.content,
            id: t.id,
            idioma: t.language,
            nombre: t.name,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct TemplatesBody {
    pub ok: bool,
    pub plantillas: Vec<TemplateView>,
}

/// A saved template, with the placeholder problems found in it (ours; the
/// key is absent when there are none).
#[derive(Serialize, ToSchema)]
pub struct TemplateBody {
    pub ok: bool,
    pub plantilla: TemplateView,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Template body: `nombre` (1-200), `contenido` (not empty), `idioma`
/// (`es` by default on create; kept when absent or null on update),
/// `categoria` (null clears it; on update, absent clears it too).
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateRequest {
    #[serde(rename = "nombre")]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(rename = "contenido")]
    #[schema(min_length = 1)]
    pub content: String,
    /// `es` when absent (`parse_new` fills it in).
    #[serde(rename = "idioma")]
    #[schema(schema_with = language_schema, required = false)]
    pub language: Option<String>,
    #[serde(rename = "categoria")]
    #[schema(schema_with = category_schema, required = false)]
    pub category: Option<String>,
}

impl From<TemplateRequest> for NewTemplate {
    fn from(r: TemplateRequest) -> Self {
        NewTemplate {
            name: r.name,
            content: r.content,
            language: r.language.unwrap_or_else(|| DEFAULT_LANGUAGE.to_string()),
            category: r.category,
        }
    }
}

/// `PUT` body: as `POST`'s, but a null or absent `idioma` keeps the stored
/// one, and an absent `categoria` clears it.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TemplateUpdateRequest {
    #[serde(rename = "nombre")]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(rename = "contenido")]
    #[schema(min_length = 1)]
    pub content: String,
    #[serde(rename = "idioma")]
    #[schema(schema_with = nullable_language_schema, required = false)]
    pub language: Option<String>,
    #[serde(rename = "categoria")]
    #[schema(schema_with = category_schema, required = false)]
    pub category: Option<String>,
}

impl From<TemplateUpdateRequest> for TemplateUpdate {
    fn from(r: TemplateUpdateRequest) -> Self {
        TemplateUpdate {
            name: r.name,
            content: r.content,
            language: r.language,
            category: r.category,
        }
    }
}

fn language_schema() -> utoipa::openapi::Object {
    one_of_schema(LANGUAGES, false)
}

fn nullable_language_schema() -> utoipa::openapi::Object {
    one_of_schema(LANGUAGES, true)
}

fn category_schema() -> utoipa::openapi::Object {
    one_of_schema(CATEGORIES, true)
}

/// A template id in the path. Anything but a UUID matches no route of the
/// original (its UUID converter), so it is the plain 404, before authentication.
pub enum TemplateRoute {}

impl PathResource for TemplateRoute {
    const NOT_FOUND: &'static str = MSG_NO_ROUTE;
}

pub type TemplateId = PathId<TemplateRoute>;

/// `nombre` and `contenido` as both schemas read them: checked as sent (the
/// document's limits), then stored without control characters.
fn name_and_content(input: &mut Input) -> (Option<String>, Option<String>) {
    let name = input.string("nombre", true);
    if name
        .as_ref()
        .is_some_and(|n| !(1..=NAME_MAX_CHARS).contains(&n.chars().count()))
    {
        input.error("nombre", MSG_NAME_LENGTH);
    }
    let content = input.string("contenido", true);
    if content.as_ref().is_some_and(String::is_empty) {
        input.error("contenido", MSG_CONTENT_EMPTY);
    }
    (
        name.map(|n| single_line(&n)),
        content.map(|c| multi_line(&c)),
    )
}

fn checked_language(input: &mut Input, language: Option<String>) -> Option<String> {
    if language.as_deref().is_some_and(|l| !LANGUAGES.contains(&l)) {
        input.error("idioma", MSG_LANGUAGE);
    }
    language
}

fn category(input: &mut Input) -> Option<Option<String>> {
    let category = input.nullable_string("categoria")?;
    if category
        .as_deref()
        .is_some_and(|c| !CATEGORIES.contains(&c))
    {
        input.error("categoria", MSG_CATEGORY);
    }
    Some(category)
}

pub fn parse_new(body: &Value) -> Result<TemplateRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let (name, content) = name_and_content(&mut input);
    let raw_language = input.string("idioma", false);
    let language = checked_language(&mut input, raw_language);
    let category = category(&mut input);
    input.unknown_fields();
    match (name, content, category) {
        (Some(name), Some(content), Some(category)) if !input.has_errors() => Ok(TemplateRequest {
            name,
            content,
            language: Some(language.unwrap_or_else(|| DEFAULT_LANGUAGE.to_string())),
            category,
        }),
        _ => Err(input.errors),
    }
}

pub fn parse_update(body: &Value) -> Result<TemplateUpdateRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let (name, content) = name_and_content(&mut input);
    let raw_language = input.nullable_string("idioma").flatten();
    let language = checked_language(&mut input, raw_language);
    let category = category(&mut input);
    input.unknown_fields();
    match (name, content, category) {
        (Some(name), Some(content), Some(category)) if !input.has_errors() => {
            Ok(TemplateUpdateRequest {
                name,
                content,
                language,
                category,
            })
        }
        _ => Err(input.errors),
    }
}

fn invalid(errors: FieldErrors) -> AppError {
    AppError::unprocessable(errors.messages())
}

fn saved(status: StatusCode, template: Template) -> ApiJson<TemplateBody> {
    let warnings = placeholders::warnings(&template.content);
    ApiJson(
        status,
        TemplateBody {
            ok: true,
            plantilla: template.into(),
            warnings,
        },
    )
}

/// The first value of each query parameter; an empty one filters nothing.
fn query_param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
        .filter(|value| !value.is_empty())
}

/// Active templates of the company, most recently changed first.
#[utoipa::path(get, path = "/api/vault/plantillas", operation_id = "vault_templates_list", tag = "vault", security(("bearer" = [])),
    params(
        ("categoria" = Option<String>, Query, description = "Exact category (empty: all)"),
        ("idioma" = Option<String>, Query, description = "Exact language (empty: all)"),
    ),
    responses(
        (status = 200, description = "Templates", body = TemplatesBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    user: AuthUser,
    RawQuery(query): RawQuery,
) -> Result<ApiJson<TemplatesBody>, AppError> {
    let pairs: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let filter = TemplateFilter {
        category: query_param(&pairs, "categoria"),
        language: query_param(&pairs, "idioma"),
    };
    let templates = state.store.templates(user.company_id(), filter).await?;
    Ok(ApiJson::ok(TemplatesBody {
        ok: true,
        plantillas: templates.into_iter().map(TemplateView::from).collect(),
    }))
}

/// Creates a template; placeholder problems come back as `warnings`.
#[utoipa::path(post, path = "/api/vault/plantillas", operation_id = "vault_templates_create", tag = "vault", security(("bearer" = [])),
    request_body(content = TemplateRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = TemplateBody),
        (status = 422, description = "Validation errors", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    JsonOrEmpty(body): JsonOrEmpty,
) -> Result<ApiJson<TemplateBody>, AppError> {
    let new = parse_new(&body).map_err(invalid)?;
    let template = state
        .store
        .create_template(user.company_id(), new.into())
        .await?;
    Ok(saved(StatusCode::CREATED, template))
}

/// Replaces a template's fields (validated before the lookup, as the original).
#[utoipa::path(put, path = "/api/vault/plantillas/{plantilla_id}", operation_id = "vault_templates_update", tag = "vault", security(("bearer" = [])),
    params(("plantilla_id" = Uuid, Path)),
    request_body(content = TemplateUpdateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Updated", body = TemplateBody),
        (status = 404, description = "Plantilla no encontrada.", body = ErrorBody),
        (status = 422, description = "Validation errors", body = ErrorBody),
    ))]
pub async fn update(
    PathId(id, _): TemplateId,
    State(state): State<AppState>,
    user: AuthUser,
    JsonOrEmpty(body): JsonOrEmpty,
) -> Result<ApiJson<TemplateBody>, AppError> {
    let update = parse_update(&body).map_err(invalid)?;
    let template = state
        .store
        .update_template(user.company_id(), id, update.into())
        .await?
        .ok_or_else(|| AppError::not_found(MSG_NOT_FOUND))?;
    Ok(saved(StatusCode::OK, template))
}

/// Soft delete; repeating it keeps answering 200.
#[utoipa::path(delete, path = "/api/vault/plantillas/{plantilla_id}", operation_id = "vault_templates_delete", tag = "vault", security(("bearer" = [])),
    params(("plantilla_id" = Uuid, Path)),
    responses(
        (status = 200, description = "Deactivated", body = OkBody),
        (status = 404, description = "Plantilla no encontrada.", body = ErrorBody),
    ))]
pub async fn delete(
    PathId(id, _): TemplateId,
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<OkBody>, AppError> {
    if !state
        .store
        .deactivate_template(user.company_id(), id)
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
    fn create_errors_are_messages_in_field_order() {
        assert_eq!(
            parse_new(&json!({})).unwrap_err().messages(),
            vec![
                "Missing data for required field.",
                "Missing data for required field."
            ]
        );
        assert_eq!(
            parse_new(&json!({"nombre": "", "contenido": "", "idioma": "xx", "categoria": "bienvenida", "otro": 1}))
                .unwrap_err()
                .messages(),
            vec![MSG_NAME_LENGTH, MSG_CONTENT_EMPTY, MSG_LANGUAGE, MSG_CATEGORY, "Unknown field."]
        );
        assert_eq!(
            parse_new(&json!({"nombre": "x", "contenido": " ", "idioma": null}))
                .unwrap_err()
                .messages(),
            vec!["Field may not be null."]
        );
        assert_eq!(
            parse_new(&json!([1])).unwrap_err().messages(),
            vec!["Invalid input type."]
        );
    }

    #[test]
    fn create_defaults_the_language_and_keeps_whitespace() {
        let new = parse_new(&json!({"nombre": "N".repeat(200), "contenido": "  "})).unwrap();
        assert_eq!(
            (new.language.as_deref(), new.content.as_str(), new.category),
            (Some("es"), "  ", None)
        );
    }

    #[test]
    fn update_keeps_a_null_language_and_clears_an_absent_category() {
        let update =
            parse_update(&json!({"nombre": "n", "contenido": "c", "idioma": null})).unwrap();
        assert_eq!((update.language, update.category), (None, None));
        let update = parse_update(
            &json!({"nombre": "n", "contenido": "c", "idioma": "en", "categoria": "GENERAL"}),
        )
        .unwrap();
        assert_eq!(
            (update.language.as_deref(), update.category.as_deref()),
            (Some("en"), Some("GENERAL"))
        );
    }
}
