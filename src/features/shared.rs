//! What several areas share: the bare success body, keys encrypted at rest,
//! and parsing off the request threads.

use std::time::Duration;

use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::spreadsheet::with_time_budget;

use crate::http::error::AppError;
use crate::http::state::AppState;

pub const MSG_NO_FERNET: &str = "El servidor no tiene configurada la clave de cifrado (FERNET_KEY). Contacta con el administrador.";

/// `{"ok": true}`.
#[derive(Serialize, ToSchema)]
pub struct OkBody {
    pub ok: bool,
}

/// A third-party key encrypted for storage; without `FERNET_KEY`, 422.
pub fn encrypt(state: &AppState, plaintext: &str) -> Result<String, AppError> {
    state
        .cipher
        .encrypt(plaintext)
        .map_err(|_| AppError::unprocessable(vec![MSG_NO_FERNET.into()]))
}

/// Runs `work` (a spreadsheet parse) on a blocking thread once the company's
/// turn and a shared slot come (`http::budget::ParseSlots`), with the
/// reader's time budget (`PARSE_SECONDS`) set for it.
pub async fn off_thread<T: Send + 'static>(
    state: &AppState,
    company_id: Uuid,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    let _slot = state.parse_slots.acquire(company_id).await?;
    let budget = Duration::from_secs(u64::from(state.settings.uploads.parse_seconds));
    tokio::task::spawn_blocking(move || with_time_budget(budget, work))
        .await
        .map_err(|_| AppError::internal())
}

/// The schema of a string that must be one of `values`: the parser's own
/// list, so the document and the check cannot drift (`schema_with` fns).
pub fn one_of_schema(values: &[&str], nullable: bool) -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, SchemaType, Type};
    let mut types = vec![Type::String];
    let mut choices: Vec<serde_json::Value> = values.iter().map(|v| (*v).into()).collect();
    if nullable {
        types.push(Type::Null);
        choices.push(serde_json::Value::Null);
    }
    ObjectBuilder::new()
        .schema_type(SchemaType::from_iter(types))
        .enum_values(Some(choices))
        .build()
}

/// An IANA time-zone name (`Europe/Madrid`) or null: the tz database's own list.
pub fn time_zone_schema() -> utoipa::openapi::Object {
    let names: Vec<&str> = chrono_tz::TZ_VARIANTS.iter().map(|tz| tz.name()).collect();
    one_of_schema(&names, true)
}

/// An optional, nullable IANA zone field (`zona_horaria`): `None` when
/// absent or invalid (the error recorded), `Some(None)` for null.
pub fn read_time_zone(
    input: &mut crate::domain::validation::Input,
    name: &'static str,
) -> Option<Option<String>> {
    let value = input.nullable_string(name)?;
    match value {
        Some(text) if crate::domain::late_checkins::zone(&text).is_none() => {
            input.error(name, crate::domain::late_checkins::MSG_ZONE);
            None
        }
        other => Some(other),
    }
}
