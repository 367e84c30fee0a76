//! `/api/notificaciones/checkin-tardio/...` (original-api.md 9): the day's
//! PMS arrivals (`status.rs`), the late arrivals of a spreadsheet
//! (`upload.rs`) and the message templates (`templates.rs`). Any
//! authenticated user. Arrivals are judged by the operational-day rule in
//! the property's time zone (domain/late_checkins.rs).

pub mod status;
pub mod templates;
pub mod upload;

use chrono::NaiveDate;
use chrono_tz::Tz;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::late_checkins::{LateSettings, Matcher, arrival_instant, clock, rfc3339, zone};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::store::Apartment;

const SETTINGS_KEY: &str = "notificaciones_tardias";

/// A reservation on the wire: the original's eight keys, and ours
/// (`llegada`, `tardio`, `zona_horaria`).
#[derive(Serialize, ToSchema, Debug, Clone, PartialEq)]
pub struct ReservationView {
    /// The catalogue's name of the matched apartment, else the raw one.
    pub apartamento: Option<String>,
    pub checkin: Option<String>,
    pub checkout: Option<String>,
    /// The matched apartment's address, else null.
    pub direccion: Option<String>,
    pub email: Option<String>,
    /// `HH:MM`.
    pub hora_llegada: Option<String>,
    /// The arrival instant (RFC 3339, the property's offset); null without
    /// a date or time. Arrivals before the day start are the next morning.
    pub llegada: Option<String>,
    pub nombre: String,
    /// Late by the operational-day rule (false without a time).
    pub tardio: bool,
    pub telefono: Option<String>,
    /// The property's IANA zone: the apartment's, else the company's.
    pub zona_horaria: String,
}

/// A reservation before the cross-match, whatever its source.
pub struct Arrival {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub check_in: Option<String>,
    pub check_out: Option<String>,
    pub apartment_id: Option<String>,
    pub apartment_name: Option<String>,
    pub arrival_time: Option<String>,
}

/// What the cross-match needs of a catalogue apartment.
#[derive(Clone)]
struct Property {
    name: String,
    address: Option<String>,
    zone: Option<Tz>,
}

/// The company's settings and active apartments, loaded once per request.
pub struct Context {
    pub settings: LateSettings,
    pub apartments: Vec<Apartment>,
    matcher: Matcher<Property>,
}

impl Context {
    pub async fn load(state: &AppState, company_id: Uuid) -> Result<Context, AppError> {
        let stored = state
            .store
            .company_setting(company_id, SETTINGS_KEY)
            .await?;
        let settings = LateSettings::from_settings(stored.as_ref().filter(|v| v.is_object()));
        let apartments = state.store.apartments(company_id).await?;
        let matcher = Matcher::new(apartments.iter().map(|a| {
            (
                a.external_id.clone(),
                Property {
                    name: a.name.clone(),
                    address: a.address.clone(),
                    zone: a.time_zone.as_deref().and_then(zone),
                },
            )
        }));
        Ok(Context {
            settings,
            apartments,
            matcher,
        })
    }

    /// The wire row of an arrival: matched, judged and placed in time.
    pub fn view(&self, arrival: Arrival) -> ReservationView {
        let property = self.matcher.find(
            arrival.apartment_id.as_deref(),
            arrival.apartment_name.as_deref(),
        );
        let zone = property.and_then(|p| p.zone).unwrap_or(self.settings.zone);
        let time = arrival.arrival_time.as_deref().and_then(clock);
        let day = arrival
            .check_in
            .as_deref()
            .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
        let llegada = match (day, time) {
            (Some(day), Some(time)) => Some(rfc3339(&arrival_instant(
                day,
                time,
                zone,
                self.settings.day_start,
            ))),
            _ => None,
        };
        ReservationView {
            apartamento: property.map(|p| p.name.clone()).or(arrival.apartment_name),
            checkin: arrival.check_in,
            checkout: arrival.check_out,
            direccion: property.and_then(|p| p.address.clone()),
            email: arrival.email,
            hora_llegada: arrival.arrival_time.clone(),
            llegada,
            nombre: arrival.name,
            tardio: self.settings.is_late_at(arrival.arrival_time.as_deref()),
            telefono: arrival.phone,
            zona_horaria: zone.name().to_string(),
        }
    }
}
