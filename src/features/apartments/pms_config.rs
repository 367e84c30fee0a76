//! The company's PMS connection settings: `GET/PUT/DELETE /api/apartamentos/pms`
//! (any user, as the original) and the admin twin under `/api/perfil/integraciones/pms`
//! share `save` (original-api.md 6.4, 7.9, 7.10, 7.12).

use axum::extract::State;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::endpoint::check_endpoint;
use crate::domain::format::iso;
use crate::domain::validation::{FieldErrors, Input, length_between, one_of_message};
use crate::features::profile::{MSG_NO_FERNET, PMS_PROVIDERS};
use crate::features::users::OkBody;
use crate::http::ApiJson;
use crate::http::auth::AuthUser;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::JsonBody;
use crate::integrations::beds24::{self, Beds24Client};
use crate::integrations::pms::{PmsApartment, PmsClient, PmsError};
use crate::integrations::smoobu::{self, SmoobuClient};
use crate::state::AppState;
use crate::store::{ApartmentUpsert, PmsConfig, PmsSettings, SyncLog, SyncLogFor, UpsertReport};

const MSG_NOTHING_TO_DELETE: &str = "No hay configuración PMS para eliminar.";
/// A whole sync (one list call and one detail call per apartment) may take this long.
const SYNC_TIME_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);
const MSG_NOT_CONFIGURED: &str = "No hay configuración PMS. Guarda tu API key primero.";
const MSG_UNDECRYPTABLE: &str = "No se pudo descifrar la API key. Vuelve a configurarla.";

/// What a save asks for, once validated.
#[derive(Debug, Clone, PartialEq)]
pub struct PmsInput {
    pub provider: String,
    pub api_key: String,
    pub api_secret: Option<String>,
    /// `None`: keep the stored endpoint; `Some(None)`: clear it.
    pub endpoint: Option<Option<String>>,
}

impl PmsInput {
    /// Smoobu signs with a key and a secret; the web app has one field, so
    /// `KEY:SECRET` in it is read as the two.
    fn split_secret(mut self) -> Self {
        let wants_split = self.provider == "smoobu" && self.api_secret.is_none();
        let parts = self
            .api_key
            .split_once(':')
            .map(|(k, s)| (k.to_string(), s.to_string()));
        if let Some((key, secret)) =
            parts.filter(|(k, s)| wants_split && !k.is_empty() && !s.is_empty())
        {
            self.api_key = key;
            self.api_secret = Some(secret);
        }
        self
    }
}

/// Encrypts and stores the settings of `company_id`.
pub async fn save(
    state: &AppState,
    company_id: Uuid,
    input: PmsInput,
) -> Result<PmsConfig, AppError> {
    let input = input.split_secret();
    let no_key = |_| AppError::unprocessable(vec![MSG_NO_FERNET.into()]);
    let api_key_encrypted = state.cipher.encrypt(&input.api_key).map_err(no_key)?;
    let api_secret_encrypted = match &input.api_secret {
        Some(secret) => Some(state.cipher.encrypt(secret).map_err(no_key)?),
        None => None,
    };
    let settings = PmsSettings {
        provider: input.provider.clone(),
        api_key_encrypted,
        api_secret_encrypted,
        endpoint: input.endpoint,
    };
    let saved = state.store.save_pms_config(company_id, settings).await?;
    tracing::info!(%company_id, provider = %input.provider, "PMS settings saved");
    Ok(saved)
}

/// Reads `proveedor`, `api_key` (1-500) and our optional `api_secret` (≤500).
pub fn read_common(
    input: &mut Input,
    trim: bool,
) -> (Option<String>, Option<String>, Option<Option<String>>) {
    let provider = input.string("proveedor", true);
    if provider
        .as_deref()
        .is_some_and(|p| !PMS_PROVIDERS.contains(&p))
    {
        input.error("proveedor", one_of_message(PMS_PROVIDERS));
    }
    let key = input
        .string("api_key", true)
        .map(|k| if trim { k.trim().to_string() } else { k });
    if key
        .as_ref()
        .is_some_and(|k| !(1..=500).contains(&k.chars().count()))
    {
        input.error("api_key", length_between(1, 500));
    }
    let secret = input
        .nullable_string("api_secret")
        .map(|s| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
    if secret
        .as_ref()
        .and_then(|s| s.as_ref())
        .is_some_and(|s| s.chars().count() > 500)
    {
        input.error("api_secret", "Longer than maximum length 500.");
    }
    (provider, key, secret)
}

/// `PUT /api/apartamentos/pms`: `endpoint` is optional and replaces the stored one.
pub fn parse_settings(body: &Value, allow_private: bool) -> Result<PmsInput, FieldErrors> {
    let mut input = Input::new(body)?;
    let (provider, key, secret) = read_common(&mut input, true);
    // Stored trimmed and as sent ("" too, as the original); only a non-empty one is checked.
    let endpoint = input
        .nullable_string("endpoint")
        .map(|e| e.map(|e| e.trim().to_string()));
    if let Some(Some(url)) = endpoint
        .as_ref()
        .filter(|e| e.as_deref().is_some_and(|u| !u.is_empty()))
    {
        if url.chars().count() > 500 {
            input.error("endpoint", "Longer than maximum length 500.");
        } else if let Err(message) = check_endpoint(url, allow_private) {
            input.error("endpoint", message);
        }
    }
    input.unknown_fields();
    match (provider, key, secret, endpoint) {
        (Some(provider), Some(api_key), Some(api_secret), Some(endpoint))
            if !input.has_errors() =>
        {
            Ok(PmsInput {
                provider,
                api_key,
                api_secret,
                endpoint: Some(endpoint),
            })
        }
        _ => Err(input.errors),
    }
}

/// The settings on the wire; keys are never returned.
#[derive(Serialize, ToSchema)]
pub struct PmsConfigView {
    pub activo: bool,
    /// Whether a Smoobu signing secret is stored (our addition).
    pub api_secret_configurado: bool,
    pub endpoint: Option<String>,
    pub proveedor: String,
    pub ultimo_sync: Option<String>,
}

impl From<PmsConfig> for PmsConfigView {
    fn from(c: PmsConfig) -> Self {
        PmsConfigView {
            activo: c.active,
            api_secret_configurado: c.api_secret_encrypted.is_some_and(|s| !s.is_empty()),
            endpoint: c.endpoint,
            proveedor: c.provider,
            ultimo_sync: c.last_sync.map(iso),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct PmsConfigBody {
    /// The settings, or null when none are saved.
    pub config: Option<PmsConfigView>,
    pub ok: bool,
}

/// `PUT /api/apartamentos/pms` body.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PmsSettingsRequest {
    /// `smoobu`, `beds24`, `hostaway` or `cloudbeds`.
    proveedor: String,
    /// 1 to 500 characters; for Smoobu `KEY:SECRET` also sets the secret.
    api_key: String,
    /// Smoobu's signing secret.
    api_secret: Option<String>,
    /// Base URL overriding the provider's: `https` and a public host.
    endpoint: Option<String>,
}

/// The company's PMS settings, or null.
#[utoipa::path(get, path = "/api/apartamentos/pms", tag = "apartamentos", security(("bearer" = [])),
    responses((status = 200, description = "Settings or null", body = PmsConfigBody)))]
pub async fn get_config(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<PmsConfigBody>, AppError> {
    let config = state.store.pms_config(user.company_id()).await?;
    Ok(ApiJson::ok(PmsConfigBody {
        config: config.map(PmsConfigView::from),
        ok: true,
    }))
}

/// Saves the PMS settings (any user, as the original).
#[utoipa::path(put, path = "/api/apartamentos/pms", tag = "apartamentos", security(("bearer" = [])),
    request_body(content = PmsSettingsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = PmsConfigBody),
        (status = 400, description = "No JSON body", body = ErrorBody),
        (status = 422, description = "Invalid body, a private endpoint, or no FERNET_KEY", body = ErrorBody),
    ))]
pub async fn put_config(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<PmsConfigBody>, AppError> {
    let input = parse_settings(&body, state.settings.allow_private_pms_endpoints)
        .map_err(|e| AppError::unprocessable(e.flatten()))?;
    let saved = save(&state, user.company_id(), input).await?;
    Ok(ApiJson::ok(PmsConfigBody {
        config: Some(saved.into()),
        ok: true,
    }))
}

/// Removes the PMS settings; 404 when there are none.
#[utoipa::path(delete, path = "/api/apartamentos/pms", tag = "apartamentos", security(("bearer" = [])),
    responses(
        (status = 200, description = "Removed", body = OkBody),
        (status = 404, description = "No hay configuración PMS para eliminar.", body = ErrorBody),
    ))]
pub async fn delete_config(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<OkBody>, AppError> {
    if !state.store.delete_pms_config(user.company_id()).await? {
        return Err(AppError::not_found(MSG_NOTHING_TO_DELETE));
    }
    Ok(ApiJson::ok(OkBody { ok: true }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn smoobu_key_and_secret_in_one_field_are_split() {
        let input = PmsInput {
            provider: "smoobu".into(),
            api_key: "KEY:SECRET".into(),
            api_secret: None,
            endpoint: None,
        };
        let split = input.clone().split_secret();
        assert_eq!(
            (split.api_key.as_str(), split.api_secret.as_deref()),
            ("KEY", Some("SECRET"))
        );
        let beds = PmsInput {
            provider: "beds24".into(),
            ..input.clone()
        }
        .split_secret();
        assert_eq!(beds.api_key, "KEY:SECRET", "only Smoobu keys are split");
        let explicit = PmsInput {
            api_secret: Some("S2".into()),
            ..input
        }
        .split_secret();
        assert_eq!(
            (explicit.api_key.as_str(), explicit.api_secret.as_deref()),
            ("KEY:SECRET", Some("S2"))
        );
    }

    #[test]
    fn endpoints_must_be_public_https() {
        let body =
            |endpoint: &str| json!({"proveedor": "smoobu", "api_key": " k ", "endpoint": endpoint});
        let ok = parse_settings(&body(" https://login.smoobu.com "), false).unwrap();
        assert_eq!(
            (ok.api_key.as_str(), ok.endpoint),
            ("k", Some(Some("https://login.smoobu.com".into())))
        );
        let err = parse_settings(&body("http://169.254.169.254/"), false)
            .unwrap_err()
            .flatten();
        assert_eq!(
            err,
            vec![format!(
                "endpoint: {}",
                crate::domain::endpoint::MSG_ENDPOINT
            )]
        );
        assert!(parse_settings(&body("http://127.0.0.1:9999"), true).is_ok());
        let cleared =
            parse_settings(&json!({"proveedor": "beds24", "api_key": "k"}), false).unwrap();
        assert_eq!(
            cleared.endpoint,
            Some(None),
            "omitted endpoint is cleared, as the original"
        );
    }
}

/// The client of the company's configured PMS, or the original's 400s.
pub fn client_for(
    state: &AppState,
    config: Option<PmsConfig>,
) -> Result<(Box<dyn PmsClient>, &'static str), AppError> {
    let config = config
        .filter(|c| {
            c.api_key_encrypted
                .as_deref()
                .is_some_and(|k| !k.is_empty())
        })
        .ok_or_else(|| AppError::bad_request(MSG_NOT_CONFIGURED))?;
    let decrypt = |value: &str| {
        state
            .cipher
            .decrypt(value)
            .map_err(|_| AppError::bad_request(MSG_UNDECRYPTABLE))
    };
    let key = decrypt(config.api_key_encrypted.as_deref().unwrap_or_default())?;
    let secret = match config
        .api_secret_encrypted
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        Some(secret) => Some(decrypt(secret)?),
        None => None,
    };
    // The stored endpoint is checked again: it may predate these rules.
    let allow_private = state.settings.allow_private_pms_endpoints;
    let base = |default: &str| {
        let text = config
            .endpoint
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .unwrap_or(default);
        check_endpoint(text, allow_private).map_err(AppError::bad_request)
    };
    match config.provider.as_str() {
        "smoobu" => Ok((
            Box::new(SmoobuClient::new(
                state.outbound.clone(),
                base(smoobu::DEFAULT_BASE_URL)?,
                key,
                secret,
            )),
            "Smoobu",
        )),
        "beds24" => Ok((
            Box::new(Beds24Client::new(
                state.outbound.clone(),
                base(beds24::DEFAULT_BASE_URL)?,
                key,
            )),
            "Beds24",
        )),
        other => Err(AppError::bad_request(format!(
            "El proveedor '{other}' aún no está soportado."
        ))),
    }
}

#[derive(Serialize, ToSchema)]
pub struct SyncCounts {
    pub actualizados: u32,
    pub nuevos: u32,
    pub total: u32,
}

#[derive(Serialize, ToSchema)]
pub struct SyncBody {
    pub ok: bool,
    pub resultado: SyncCounts,
    /// Apartments left out, and why.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// An apartment of the PMS as a catalogue row, or why it cannot be one.
fn catalogue_row(apartment: PmsApartment) -> Result<ApartmentUpsert, String> {
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
#[utoipa::path(post, path = "/api/apartamentos/sincronizacion/smoobu", tag = "apartamentos", security(("bearer" = [])),
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
    let (client, provider) = client_for(&state, state.store.pms_config(company).await?)?;
    let fetched = tokio::time::timeout(SYNC_TIME_LIMIT, client.apartments())
        .await
        .unwrap_or(Err(PmsError::Outbound(
            crate::integrations::http::OutboundError::Timeout,
        )));
    let apartments = match fetched {
        Ok(apartments) => apartments,
        Err(err) => {
            tracing::warn!(%company, provider, error = %err, "PMS sync failed");
            let detail = format!("Error de conexión con {provider}: {err}");
            state
                .store
                .log_sync(
                    company,
                    SyncLog {
                        origin: "pms",
                        status: "error",
                        records: None,
                        detail: Some(detail),
                    },
                )
                .await?;
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
    let origin = provider.to_lowercase();
    let log: SyncLogFor = Box::new(move |r: UpsertReport| SyncLog {
        origin: "pms",
        status: "exito",
        records: Some((r.created + r.updated) as i32),
        detail: Some(format!(
            "{provider}: {} nuevos, {} actualizados",
            r.created, r.updated
        )),
    });
    let report = state
        .store
        .upsert_apartments(company, &rows, &origin, log)
        .await?;
    state.catalogue.invalidate(company);
    tracing::info!(%company, provider, created = report.created, updated = report.updated, "PMS apartments synced");
    Ok(ApiJson::ok(SyncBody {
        ok: true,
        resultado: SyncCounts {
            actualizados: report.updated,
            nuevos: report.created,
            total: report.created + report.updated,
        },
        warnings,
    }))
}
