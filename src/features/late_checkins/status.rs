//! `GET /api/notificaciones/checkin-tardio/status[?fecha=]`: the day's PMS
//! arrivals for the late check-in page (original-api.md 9.1). Always 200:
//! a PMS that fails is reported in `pms_error`.

use axum::extract::{RawQuery, State};
use chrono::{NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Arrival, Context, ReservationView};
use crate::domain::late_checkins::operational_day;
use crate::features::pms_settings::client_for;
use crate::http::ApiJson;
use crate::http::auth::AuthUser;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::integrations::pms::{DateField, ReservationQuery};

pub const MSG_PMS_ERROR: &str = "No se pudieron cargar las reservas del PMS.";

/// An active apartment, as the page lists it.
#[derive(Serialize, ToSchema)]
pub struct ApartmentItem {
    pub ciudad: Option<String>,
    pub id: Uuid,
    pub nombre: String,
}

#[derive(Serialize, ToSchema)]
pub struct StatusBody {
    /// Active apartments, by name.
    pub apartamentos: Vec<ApartmentItem>,
    /// GMAIL_USER and GMAIL_APP_PASSWORD are both set.
    pub gmail_configurado: bool,
    /// `HH:MM` (default 20:00).
    pub hora_corte: String,
    pub ok: bool,
    /// PMS settings with a key that decrypts.
    pub pms_configurado: bool,
    /// `No se pudieron cargar las reservas del PMS.` when the PMS failed.
    #[schema(value_type = Option<String>)]
    pub pms_error: Option<&'static str>,
    /// Every reservation arriving on the day (not only the late ones).
    pub reservas_pms: Vec<ReservationView>,
}

/// `fecha` when it is an ISO date (`YYYY-MM-DD`).
fn date_param(query: Option<&str>) -> Option<NaiveDate> {
    url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
        .find(|(key, _)| key == "fecha")
        .and_then(|(_, value)| NaiveDate::parse_from_str(&value, "%Y-%m-%d").ok())
}

/// The day's PMS arrivals, each matched to the catalogue and judged late or
/// not; without `fecha` (or with an invalid one), the company's current
/// operational day in its time zone.
#[utoipa::path(get, path = "/api/notificaciones/checkin-tardio/status", operation_id = "late_checkins_status", tag = "checkin-tardio", security(("bearer" = [])),
    params(("fecha" = Option<String>, Query, description = "`YYYY-MM-DD`; anything else: the current operational day")),
    responses((status = 200, description = "Settings, apartments and the day's arrivals", body = StatusBody)))]
pub async fn status(
    State(state): State<AppState>,
    user: AuthUser,
    RawQuery(query): RawQuery,
) -> Result<ApiJson<StatusBody>, AppError> {
    let company = user.company_id();
    let context = Context::load(&state, company).await?;
    let day = date_param(query.as_deref()).unwrap_or_else(|| {
        operational_day(
            Utc::now(),
            context.settings.zone,
            context.settings.day_start,
        )
    });
    let config = state.store.pms_config(company).await?;
    let configured = config
        .as_ref()
        .and_then(|c| c.api_key_encrypted.as_deref())
        .is_some_and(|key| !key.is_empty() && state.cipher.decrypt(key).is_ok());
    let mut reservations = Vec::new();
    let mut pms_error = None;
    if configured {
        let query = ReservationQuery {
            field: DateField::Arrival,
            from: day,
            to: day,
        };
        let fetched = match client_for(&state, config) {
            Ok(pms) => pms
                .client
                .reservations(query)
                .await
                .map_err(|e| e.to_string()),
            Err(err) => Err(format!("{err:?}")),
        };
        match fetched {
            Ok(found) => reservations = found,
            Err(err) => {
                tracing::warn!(%company, error = %err, "late check-ins: PMS reservations unavailable");
                pms_error = Some(MSG_PMS_ERROR);
            }
        }
    }
    let reservas_pms = reservations
        .into_iter()
        .map(|r| {
            context.view(Arrival {
                name: r.name,
                email: r.email,
                phone: r.phone,
                check_in: r.arrival,
                check_out: r.departure,
                apartment_id: r.apartment_id,
                apartment_name: r.apartment_name,
                arrival_time: r.arrival_time,
            })
        })
        .collect();
    Ok(ApiJson::ok(StatusBody {
        apartamentos: context
            .apartments
            .iter()
            .map(|a| ApartmentItem {
                ciudad: a.city.clone(),
                id: a.id,
                nombre: a.name.clone(),
            })
            .collect(),
        gmail_configurado: state.settings.gmail_configured(),
        hora_corte: context.settings.cut_off_text(),
        ok: true,
        pms_configurado: configured,
        pms_error,
        reservas_pms,
    }))
}
