//! `POST /api/apartamentos/sincronizacion/smoobu`: the PMS's apartments into
//! the catalogue (original-api.md 7.11).

use axum::extract::State;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::sanitize::single_line;
use crate::features::apartments::{CatalogueSource, SyncCounts, log_failure, upsert_catalogue};
use crate::features::pms_settings::client_for;
use crate::http::ApiJson;
use crate::http::auth::AuthUser;
use crate::http::error::{AppError, ErrorBody};
use crate::http::state::AppState;
use crate::integrations::http::OutboundError;
use crate::integrations::pms::{PmsApartment, PmsError};
use crate::store::ApartmentUpsert;

/// A whole sync (one list call and one detail call per apartment) may take this long.
const SYNC_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

#[derive(Serialize, ToSchema)]
pub struct SyncBody {
    pub ok: bool,
    pub resultado: SyncCounts,
    /// Apartments left out, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// An apartment of the PMS as a catalogue row, or why it cannot be one.
fn catalogue_row(mut apartment: PmsApartment) -> Result<ApartmentUpsert, String> {
    // The PMS's text is stored and shown like a user's: one line, no controls.
    apartment.name = single_line(&apartment.name);
    apartment.street = apartment.street.as_deref().map(single_line);
    apartment.city = apartment.city.as_deref().map(single_line);
    let too_long = [
        ("id", apartment.id.chars().count() > 100),
        ("nombre", apartment.name.chars().count() > 200),
        (
            "direccion",
            apartment
                .street
                .as_ref()
                .is_some_and(|s| s.chars().count() > 300),
        ),
        (
            "ciudad",
            apartment
                .city
                .as_ref()
                .is_some_and(|s| s.chars().count() > 100),
        ),
    ];
    if let Some((field, _)) = too_long.iter().find(|(_, long)| *long) {
        return Err(format!(
            "Apartamento {}: el campo {field} es demasiado largo.",
            apartment.id.chars().take(40).collect::<String>()
        ));
    }
    Ok(ApartmentUpsert {
        external_id: Some(apartment.id.clone()),
        pms_id: apartment.id,
        name: apartment.name,
        address: apartment.street,
        city: apartment.city,
    })
}

/// Brings the PMS's apartments into the catalogue (upsert by `id_pms`, one
/// transaction, logged in `logs_sincronizacion`). The route keeps its name;
/// with Beds24 configured it syncs Beds24 properties. Hostaway and Cloudbeds
/// answer 400 (not supported yet).
#[utoipa::path(post, path = "/api/apartamentos/sincronizacion/smoobu", operation_id = "apartments_pms_sync", tag = "apartamentos", security(("bearer" = [])),
    responses(
        (status = 200, description = "Synced", body = SyncBody),
        (status = 400, description = "No PMS settings, unreadable key, unsupported provider, or the PMS failed", body = ErrorBody),
        (status = 429, description = "Rate limit (10/hour)", body = ErrorBody),
    ))]
pub async fn sync(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<SyncBody>, AppError> {
    let company = user.company_id();
    let pms = client_for(&state, state.store.pms_config(company).await?)?;
    let provider = pms.name;
    let fetched = tokio::time::timeout(SYNC_TIME_LIMIT, pms.client.apartments())
        .await
        .unwrap_or(Err(PmsError::Outbound(OutboundError::Timeout)));
    let apartments = match fetched {
        Ok(apartments) => apartments,
        Err(err) => {
            tracing::warn!(%company, provider, error = %err, "PMS sync failed");
            let detail = format!("Error de conexión con {provider}: {err}");
            log_failure(&state, company, "pms", detail).await?;
            return Err(AppError::bad_request(format!(
                "Error al conectar con {provider}: {err}"
            )));
        }
    };
    let (rows, warnings): (Vec<_>, Vec<_>) = apartments
        .into_iter()
        .map(catalogue_row)
        .partition(Result::is_ok);
    let rows: Vec<ApartmentUpsert> = rows.into_iter().filter_map(Result::ok).collect();
    let warnings: Vec<String> = warnings.into_iter().filter_map(Result::err).collect();
    let source = CatalogueSource {
        log_origin: "pms",
        label: provider,
        apartment_origin: provider.to_lowercase(),
        // Apartments left out are answered as warnings; the log says success, as before.
        row_errors: 0,
    };
    let counts = upsert_catalogue(&state, company, &rows, source).await?;
    tracing::info!(%company, provider, created = counts.nuevos, updated = counts.actualizados, "PMS apartments synced");
    Ok(ApiJson::ok(SyncBody {
        ok: true,
        resultado: counts,
        warnings,
    }))
}
