//! `GET /api/solicitudes` (paginated) and `PATCH /api/solicitudes/{solicitud_id}`:
//! the public forms' submissions and their delivery state, for superadmins.

use std::collections::HashMap;

use axum::extract::{Query, State};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::format::iso;
use crate::domain::validation::{FieldErrors, Input, MSG_NULL, range_message};
use crate::http::ApiJson;
use crate::http::auth::Superadmin;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::{JsonBody, PathId, PathResource};
use crate::http::state::AppState;
use crate::store::{Delivery, Submission};

pub const MSG_NOT_FOUND: &str = "Solicitud no encontrada.";
pub const DEFAULT_PER_PAGE: i64 = 20;
pub const MAX_PER_PAGE: i64 = 100;

pub enum SubmissionRoute {}

impl PathResource for SubmissionRoute {
    const NOT_FOUND: &'static str = MSG_NOT_FOUND;
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    /// `email` or `discord`.
    pub canal: String,
    pub enviado_en: Option<String>,
    /// `pendiente`, `enviado` or `fallido` (attempts exhausted).
    pub estado: String,
    pub intentos: i32,
    pub proximo_intento: String,
    pub ultimo_error: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct SubmissionView {
    pub atendida: bool,
    pub atendida_en: Option<String>,
    pub created_at: String,
    /// The form's fields as received (cleaned).
    #[schema(value_type = Object)]
    pub datos: Value,
    pub envios: Vec<DeliveryView>,
    pub id: Uuid,
    /// `acceso` (POST /api/contact) or `contacto` (POST /api/contacto).
    pub tipo: String,
}

impl From<Delivery> for DeliveryView {
    fn from(d: Delivery) -> Self {
        DeliveryView {
            canal: d.channel,
            enviado_en: d.sent_at.map(iso),
            estado: d.state,
            intentos: d.attempts,
            proximo_intento: iso(d.next_attempt),
            ultimo_error: d.last_error,
        }
    }
}

impl From<Submission> for SubmissionView {
    fn from(s: Submission) -> Self {
        SubmissionView {
            atendida: s.handled,
            atendida_en: s.handled_at.map(iso),
            created_at: iso(s.created_at),
            datos: s.data,
            envios: s.deliveries.into_iter().map(Into::into).collect(),
            id: s.id,
            tipo: s.kind,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct SubmissionsBody {
    pub ok: bool,
    pub pagina: i64,
    pub por_pagina: i64,
    /// Newest first.
    pub solicitudes: Vec<SubmissionView>,
    pub total: i64,
}

#[derive(Serialize, ToSchema)]
pub struct SubmissionBody {
    pub ok: bool,
    pub solicitud: SubmissionView,
}

/// `PATCH /api/solicitudes/{solicitud_id}` body (unknown keys refused).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HandledRequest {
    /// True: handled (stamps `atendida_en`); false: back to pending.
    pub atendida: bool,
}

/// A page number from the query: a whole number in `min..=max`.
fn page_param(
    query: &HashMap<String, String>,
    name: &str,
    default: i64,
    max: i64,
    errors: &mut FieldErrors,
) -> i64 {
    let Some(raw) = query.get(name) else {
        return default;
    };
    match raw.trim().parse::<i64>() {
        Ok(n) if (1..=max).contains(&n) => n,
        Ok(_) => {
            errors.add(name, range_message(1, max));
            default
        }
        Err(_) => {
            errors.add(name, "Not a valid integer.");
            default
        }
    }
}

/// The submissions, newest first, `?pagina=` (from 1) and `?por_pagina=` (1 to 100, default 20).
#[utoipa::path(get, path = "/api/solicitudes", operation_id = "forms_list", tag = "formularios",
    security(("bearer" = [])),
    params(
        ("pagina" = Option<i64>, Query, minimum = 1, maximum = 2147483647, description = "Page, from 1"),
        ("por_pagina" = Option<i64>, Query, minimum = 1, maximum = 100, description = "Page size (default 20)"),
    ),
    responses(
        (status = 200, description = "A page of submissions", body = SubmissionsBody),
        (status = 403, description = "Acceso denegado.", body = ErrorBody),
        (status = 422, description = "Bad page parameters (`field: message`)", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _caller: Superadmin,
    Query(query): Query<HashMap<String, String>>,
) -> Result<ApiJson<SubmissionsBody>, AppError> {
    let mut errors = FieldErrors::new();
    let page = page_param(&query, "pagina", 1, i64::from(i32::MAX), &mut errors);
    let per_page = page_param(
        &query,
        "por_pagina",
        DEFAULT_PER_PAGE,
        MAX_PER_PAGE,
        &mut errors,
    );
    if !errors.is_empty() {
        return Err(AppError::unprocessable(errors.flatten()));
    }
    let (items, total) = state.store.submissions(page, per_page).await?;
    Ok(ApiJson::ok(SubmissionsBody {
        ok: true,
        pagina: page,
        por_pagina: per_page,
        solicitudes: items.into_iter().map(Into::into).collect(),
        total,
    }))
}

/// Reads `{"atendida": bool}` (strict boolean, unknown keys refused).
pub fn parse_handled(body: &Value) -> Result<HandledRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let handled = match input.value("atendida", true) {
        Some(Value::Bool(b)) => Some(*b),
        Some(Value::Null) => {
            input.error("atendida", MSG_NULL);
            None
        }
        Some(_) => {
            input.error("atendida", "Not a valid boolean.");
            None
        }
        None => None,
    };
    input.unknown_fields();
    match handled {
        Some(atendida) if !input.has_errors() => Ok(HandledRequest { atendida }),
        _ => Err(input.errors),
    }
}

/// Marks a submission handled (or pending again).
#[utoipa::path(patch, path = "/api/solicitudes/{solicitud_id}", operation_id = "forms_mark_handled", tag = "formularios",
    security(("bearer" = [])),
    params(("solicitud_id" = Uuid, Path, description = "The submission")),
    request_body(content = HandledRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Updated", body = SubmissionBody),
        (status = 403, description = "Acceso denegado.", body = ErrorBody),
        (status = 404, description = "Solicitud no encontrada.", body = ErrorBody),
        (status = 422, description = "Validation errors (`field: message`)", body = ErrorBody),
    ))]
pub async fn mark_handled(
    State(state): State<AppState>,
    _caller: Superadmin,
    PathId(id, _): PathId<SubmissionRoute>,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<SubmissionBody>, AppError> {
    let request = parse_handled(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    let updated = state
        .store
        .set_submission_handled(id, request.atendida)
        .await?
        .ok_or_else(|| AppError::not_found(MSG_NOT_FOUND))?;
    Ok(ApiJson::ok(SubmissionBody {
        ok: true,
        solicitud: updated.into(),
    }))
}
