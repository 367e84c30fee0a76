//! `/api/apartamentos`: the apartment catalogue of the caller's company
//! (original-api.md 7.1-7.5). Any authenticated user.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::format::iso;
use crate::domain::json::to_ascii_json;
use crate::domain::sanitize::{single_line, strip_html};
use crate::domain::validation::{FieldErrors, Input, length_between};
use crate::features::shared::{OkBody, read_time_zone, time_zone_schema};
use crate::http::ApiJson;
use crate::http::auth::AuthUser;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::{JsonBody, PathId, PathResource};
use crate::http::json::json_bytes;
use crate::http::state::AppState;
use crate::store::{Apartment, ApartmentChanges, NewApartment};

pub const MSG_NOT_FOUND: &str = "Apartamento no encontrado.";

/// `{apartamento_id}` of the detail routes.
pub enum ApartmentRoute {}

impl PathResource for ApartmentRoute {
    const NOT_FOUND: &'static str = MSG_NOT_FOUND;
}

type ApartmentId = PathId<ApartmentRoute>;

/// An apartment on the wire (every key always present).
#[derive(Serialize, ToSchema)]
pub struct ApartmentView {
    pub activo: bool,
    pub ciudad: Option<String>,
    pub created_at: String,
    pub direccion: Option<String>,
    pub empresa_id: Uuid,
    pub id: Uuid,
    pub id_externo: Option<String>,
    pub id_pms: Option<String>,
    pub nombre: String,
    pub pms_origen: Option<String>,
    pub updated_at: String,
    /// The apartment's IANA zone (late check-ins); null: the company's.
    pub zona_horaria: Option<String>,
}

impl From<Apartment> for ApartmentView {
    fn from(a: Apartment) -> Self {
        ApartmentView {
            activo: a.active,
            ciudad: a.city,
            created_at: iso(a.created_at),
            direccion: a.address,
            empresa_id: a.company_id,
            id: a.id,
            id_externo: a.external_id,
            id_pms: a.pms_id,
            nombre: a.name,
            pms_origen: a.origin,
            updated_at: iso(a.updated_at),
            zona_horaria: a.time_zone,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct ApartmentsBody {
    pub apartamentos: Vec<ApartmentView>,
    pub ok: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ApartmentBody {
    pub apartamento: ApartmentView,
    pub ok: bool,
}

/// `POST` body, as `parse_new` returns it. HTML is stripped (and `&`
/// escaped) before the lengths are checked.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApartmentRequest {
    #[serde(rename = "nombre")]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[serde(rename = "id_externo")]
    #[schema(max_length = 100)]
    pub external_id: Option<String>,
    #[serde(rename = "direccion")]
    #[schema(max_length = 300)]
    pub address: Option<String>,
    #[serde(rename = "ciudad")]
    #[schema(max_length = 100)]
    pub city: Option<String>,
    /// An IANA zone name; null or absent: the company's zone.
    #[serde(rename = "zona_horaria")]
    #[schema(schema_with = time_zone_schema, required = false)]
    pub time_zone: Option<String>,
}

impl From<ApartmentRequest> for NewApartment {
    fn from(r: ApartmentRequest) -> Self {
        NewApartment {
            name: r.name,
            external_id: r.external_id,
            address: r.address,
            city: r.city,
            time_zone: r.time_zone,
        }
    }
}

/// `PUT` body: only the fields sent change (`id_externo` cannot). HTML is
/// stripped (and `&` escaped) before the lengths are checked. `{}` is no
/// body (400), as every lenient JSON route.
/// As `parse_changes` returns it: `None` keeps a column, `Some(None)` clears it.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, ToSchema)]
#[schema(min_properties = 1)]
#[serde(deny_unknown_fields)]
pub struct ApartmentChangesRequest {
    #[serde(rename = "nombre")]
    #[schema(min_length = 1, max_length = 200, nullable = false)]
    pub name: Option<String>,
    #[serde(rename = "direccion")]
    #[schema(value_type = Option<String>, max_length = 300)]
    pub address: Option<Option<String>>,
    #[serde(rename = "ciudad")]
    #[schema(value_type = Option<String>, max_length = 100)]
    pub city: Option<Option<String>>,
    /// An IANA zone name; null: back to the company's zone.
    #[serde(rename = "zona_horaria")]
    #[schema(schema_with = time_zone_schema, required = false)]
    pub time_zone: Option<Option<String>>,
}

impl From<ApartmentChangesRequest> for ApartmentChanges {
    fn from(r: ApartmentChangesRequest) -> Self {
        ApartmentChanges {
            name: r.name,
            address: r.address,
            city: r.city,
            time_zone: r.time_zone,
        }
    }
}

/// An optional, nullable, HTML-stripped string of at most `max` characters.
/// `None`: absent; `Some(None)`: null.
fn optional_text(input: &mut Input, name: &'static str, max: usize) -> Option<Option<String>> {
    let value = input.nullable_string(name)?.map(|v| strip_html(&v));
    if value.as_ref().is_some_and(|v| v.chars().count() > max) {
        input.error(name, format!("Longer than maximum length {max}."));
    }
    // Checked as the original checks it, then stored on one line.
    Some(value.map(|v| single_line(&v)))
}

fn checked_name(input: &mut Input, name: Option<String>) -> Option<String> {
    let name = name.map(|n| strip_html(&n))?;
    if !(1..=200).contains(&name.chars().count()) {
        input.error("nombre", length_between(1, 200));
    }
    Some(single_line(&name))
}

pub fn parse_new(body: &Value) -> Result<ApartmentRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let raw_name = input.string("nombre", true);
    let name = checked_name(&mut input, raw_name);
    let external_id = optional_text(&mut input, "id_externo", 100);
    let address = optional_text(&mut input, "direccion", 300);
    let city = optional_text(&mut input, "ciudad", 100);
    let time_zone = read_time_zone(&mut input, "zona_horaria");
    input.unknown_fields();
    match (name, external_id, address, city, time_zone) {
        (Some(name), Some(external_id), Some(address), Some(city), Some(time_zone))
            if !input.has_errors() =>
        {
            Ok(ApartmentRequest {
                name,
                external_id,
                address,
                city,
                time_zone,
            })
        }
        _ => Err(input.errors),
    }
}

pub fn parse_changes(body: &Value) -> Result<ApartmentChangesRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let name = if body.get("nombre").is_some_and(Value::is_null) {
        input.string("nombre", false);
        None
    } else {
        let raw = input.string("nombre", false);
        checked_name(&mut input, raw)
    };
    let address = if body.get("direccion").is_some() {
        optional_text(&mut input, "direccion", 300)
    } else {
        None
    };
    let city = if body.get("ciudad").is_some() {
        optional_text(&mut input, "ciudad", 100)
    } else {
        None
    };
    let time_zone = if body.get("zona_horaria").is_some() {
        read_time_zone(&mut input, "zona_horaria")
    } else {
        None
    };
    input.unknown_fields();
    if input.has_errors() {
        return Err(input.errors);
    }
    Ok(ApartmentChangesRequest {
        name,
        address,
        city,
        time_zone,
    })
}

/// Active apartments of the company, by name.
#[utoipa::path(get, path = "/api/apartamentos", operation_id = "apartments_list", tag = "apartamentos", security(("bearer" = [])),
    responses((status = 200, description = "Apartments", body = ApartmentsBody), (status = 401, description = "No valid token", body = ErrorBody)))]
pub async fn list(State(state): State<AppState>, user: AuthUser) -> Result<Response, AppError> {
    let company = user.company_id();
    if let Some(body) = state.catalogue.get(company) {
        return Ok(json_bytes(body));
    }
    let generation = state.catalogue.generation();
    let apartments = state.store.apartments(company).await?;
    let body = ApartmentsBody {
        apartamentos: apartments.into_iter().map(ApartmentView::from).collect(),
        ok: true,
    };
    let bytes = Bytes::from(to_ascii_json(&body) + "\n");
    state.catalogue.put(company, generation, bytes.clone());
    Ok(json_bytes(bytes))
}

/// One apartment (soft-deleted ones too).
#[utoipa::path(get, path = "/api/apartamentos/{apartamento_id}", operation_id = "apartments_get", tag = "apartamentos", security(("bearer" = [])),
    params(("apartamento_id" = Uuid, Path)),
    responses(
        (status = 200, description = "The apartment", body = ApartmentBody),
        (status = 404, description = "Apartamento no encontrado.", body = ErrorBody),
    ))]
pub async fn get(
    State(state): State<AppState>,
    user: AuthUser,
    PathId(id, _): ApartmentId,
) -> Result<ApiJson<ApartmentBody>, AppError> {
    let apartment = state
        .store
        .apartment(user.company_id(), id)
        .await?
        .ok_or_else(|| AppError::not_found(MSG_NOT_FOUND))?;
    Ok(ApiJson::ok(ApartmentBody {
        apartamento: apartment.into(),
        ok: true,
    }))
}

/// Creates a manual apartment.
#[utoipa::path(post, path = "/api/apartamentos", operation_id = "apartments_create", tag = "apartamentos", security(("bearer" = [])),
    request_body(content = ApartmentRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = ApartmentBody),
        (status = 400, description = "No JSON body", body = ErrorBody),
        (status = 422, description = "Validation errors", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<ApartmentBody>, AppError> {
    let new = parse_new(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    let apartment = state
        .store
        .create_apartment(user.company_id(), new.into())
        .await?;
    state.catalogue.invalidate(user.company_id());
    Ok(ApiJson(
        StatusCode::CREATED,
        ApartmentBody {
            apartamento: apartment.into(),
            ok: true,
        },
    ))
}

/// Updates the fields sent (`nombre`, `direccion`, `ciudad`, `zona_horaria`); does not reactivate.
#[utoipa::path(put, path = "/api/apartamentos/{apartamento_id}", operation_id = "apartments_update", tag = "apartamentos", security(("bearer" = [])),
    params(("apartamento_id" = Uuid, Path)),
    request_body(content = ApartmentChangesRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Updated", body = ApartmentBody),
        (status = 400, description = "No JSON body", body = ErrorBody),
        (status = 404, description = "Apartamento no encontrado.", body = ErrorBody),
        (status = 422, description = "Validation errors", body = ErrorBody),
    ))]
pub async fn update(
    State(state): State<AppState>,
    user: AuthUser,
    id: Result<ApartmentId, AppError>,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<ApartmentBody>, AppError> {
    // No body is 400 before a malformed id's 404; a missing apartment is 404
    // even with an invalid body, as the original.
    let PathId(id, _) = id?;
    if state
        .store
        .apartment(user.company_id(), id)
        .await?
        .is_none()
    {
        return Err(AppError::not_found(MSG_NOT_FOUND));
    }
    let changes = parse_changes(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    let apartment = state
        .store
        .update_apartment(user.company_id(), id, changes.into())
        .await?
        .ok_or_else(|| AppError::not_found(MSG_NOT_FOUND))?;
    state.catalogue.invalidate(user.company_id());
    Ok(ApiJson::ok(ApartmentBody {
        apartamento: apartment.into(),
        ok: true,
    }))
}

/// Soft delete (repeating it keeps answering 200).
#[utoipa::path(delete, path = "/api/apartamentos/{apartamento_id}", operation_id = "apartments_delete", tag = "apartamentos", security(("bearer" = [])),
    params(("apartamento_id" = Uuid, Path)),
    responses(
        (status = 200, description = "Deactivated", body = OkBody),
        (status = 404, description = "Apartamento no encontrado.", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    user: AuthUser,
    PathId(id, _): ApartmentId,
) -> Result<ApiJson<OkBody>, AppError> {
    if !state
        .store
        .deactivate_apartment(user.company_id(), id)
        .await?
    {
        return Err(AppError::not_found(MSG_NOT_FOUND));
    }
    state.catalogue.invalidate(user.company_id());
    Ok(ApiJson::ok(OkBody { ok: true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::validation::MSG_NULL;
    use serde_json::json;

    #[test]
    fn new_apartments_are_stripped_and_checked() {
        let new = parse_new(
            &json!({"nombre": " <b>Ático</b> & vistas ", "ciudad": null, "direccion": ""}),
        )
        .unwrap();
        assert_eq!(new.name, "Ático &amp; vistas");
        assert_eq!(
            (new.city, new.address, new.external_id),
            (None, Some(String::new()), None)
        );
        assert_eq!(
            parse_new(&json!({"nombre": "<b></b>", "ciudad": "x".repeat(101), "activo": false}))
                .unwrap_err()
                .flatten(),
            vec![
                "nombre: Length must be between 1 and 200.",
                "ciudad: Longer than maximum length 100.",
                "activo: Unknown field."
            ]
        );
        assert_eq!(
            parse_new(&json!({})).unwrap_err().flatten(),
            vec!["nombre: Missing data for required field."]
        );
    }

    #[test]
    fn changes_are_partial() {
        assert_eq!(
            parse_changes(&json!({"ciudad": null})).unwrap(),
            ApartmentChangesRequest {
                city: Some(None),
                ..Default::default()
            }
        );
        assert_eq!(
            parse_changes(&json!({"nombre": null}))
                .unwrap_err()
                .flatten(),
            vec![format!("nombre: {MSG_NULL}")]
        );
        assert_eq!(
            parse_changes(&json!({"id_externo": "X"}))
                .unwrap_err()
                .flatten(),
            vec!["id_externo: Unknown field."]
        );
    }
}
