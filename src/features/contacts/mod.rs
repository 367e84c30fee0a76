//! `/api/contactos/...`: the company's Google Contacts connection
//! (`google.rs`: OAuth start and callback, status, disconnect), the contacts
//! preferences (`preferences.rs`), and the guests of a date range (PMS) or a
//! spreadsheet sent to Google or as a CSV (`sync.rs`). This file holds what
//! the sync routes share: the connection's access token, refreshed when
//! due, and the upload with its dedupe and log row.

pub mod google;
pub mod preferences;
pub mod sync;

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::contacts::preferences::Preferences;
use crate::domain::contacts::{ComposedContact, dedupe_key};
use crate::features::shared::encrypt;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::integrations::google::{GoogleError, MAX_BATCH, NewContact};
use crate::store::SyncLog;

/// Where the preferences live in `empresas.configuracion`.
pub const SETTINGS_KEY: &str = "contactos";
const MSG_NOT_CONNECTED: &str = "No hay cuenta Google conectada. Conéctala primero desde el panel.";
const MSG_REFRESH_UNDECRYPTABLE: &str = "No se pudo descifrar el refresh_token de Google.";
const MSG_REVOKED: &str =
    "Google ha revocado el acceso a los contactos. Vuelve a conectar la cuenta desde el perfil.";

/// The company's preferences over the defaults.
pub async fn load_preferences(state: &AppState, company_id: Uuid) -> Result<Preferences, AppError> {
    let stored = state
        .store
        .company_setting(company_id, SETTINGS_KEY)
        .await?;
    Ok(Preferences::from_setting(stored.as_ref()))
}

/// An active connection with its tokens decrypted.
pub struct GoogleSession {
    company_id: Uuid,
    refresh_token: String,
    access_token: Option<String>,
    expiry: Option<DateTime<Utc>>,
}

/// The company's active connection (400 when there is none, or when its
/// refresh token does not decrypt with this `FERNET_KEY`).
pub async fn google_session(state: &AppState, company_id: Uuid) -> Result<GoogleSession, AppError> {
    let connection = state
        .store
        .google_connection(company_id)
        .await?
        .filter(|c| c.active)
        .ok_or_else(|| AppError::bad_request(MSG_NOT_CONNECTED))?;
    let refresh_token = state
        .cipher
        .decrypt(&connection.refresh_token_encrypted)
        .map_err(|_| AppError::bad_request(MSG_REFRESH_UNDECRYPTABLE))?;
    let access_token = connection
        .access_token_encrypted
        .as_deref()
        .and_then(|t| state.cipher.decrypt(t).ok())
        .filter(|t| !t.is_empty());
    Ok(GoogleSession {
        company_id,
        refresh_token,
        access_token,
        expiry: connection.token_expiry,
    })
}

fn google_failed(err: &GoogleError) -> AppError {
    AppError::bad_request(format!("Error al conectar con Google: {err}"))
}

impl GoogleSession {
    /// Drops the stored access token, so that the next `access_token`
    /// refreshes: Google answered 401 to it.
    fn forget_access_token(&mut self) {
        self.access_token = None;
        self.expiry = None;
    }

    /// A usable access token: the stored one, or a new one (kept, encrypted)
    /// when it is missing or expires within a minute. A refresh token Google
    /// refuses (`invalid_grant`) marks the connection inactive.
    async fn access_token(&mut self, state: &AppState) -> Result<String, AppError> {
        let fresh = self
            .expiry
            .is_some_and(|e| e > Utc::now() + Duration::seconds(60));
        if let (Some(token), true) = (&self.access_token, fresh) {
            return Ok(token.clone());
        }
        let grant = match state.google.refresh(&self.refresh_token).await {
            Ok(grant) => grant,
            Err(GoogleError::InvalidGrant) => {
                state
                    .store
                    .deactivate_google_connection(self.company_id)
                    .await?;
                tracing::warn!(company_id = %self.company_id, "Google refused the refresh token: connection marked inactive");
                return Err(AppError::bad_request(MSG_REVOKED));
            }
            Err(err) => return Err(google_failed(&err)),
        };
        let expiry = Utc::now() + Duration::seconds(grant.expires_in);
        state
            .store
            .update_google_access_token(
                self.company_id,
                &encrypt(state, &grant.access_token)?,
                expiry,
            )
            .await?;
        self.access_token = Some(grant.access_token.clone());
        self.expiry = Some(expiry);
        Ok(grant.access_token)
    }
}

/// `resultado` of a sync.
#[derive(Debug, Serialize, ToSchema)]
pub struct ContactsSyncResult {
    /// `"<name>: <reason>"` for each contact Google did not take; absent when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub advertencias: Vec<String>,
    /// Always 0: existing contacts are left as they are (see compatibility).
    pub actualizados: usize,
    /// Contacts created in Google.
    pub nuevos: usize,
    /// PMS reservations read (PMS sync) or grouped contacts (spreadsheet sync).
    pub total: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ContactsSyncBody {
    pub ok: bool,
    pub resultado: ContactsSyncResult,
}

/// Creates in Google the contacts not already there (same normalised name
/// and phone, see `dedupe_key`), 200 per call, and logs the sync.
pub async fn upload(
    state: &AppState,
    session: &mut GoogleSession,
    contacts: Vec<ComposedContact>,
    total: usize,
    detail_prefix: &str,
) -> Result<ContactsSyncResult, AppError> {
    let company_id = session.company_id;
    let mut token = session.access_token(state).await?;
    let mut listed = state.google.contacts(&token).await;
    if matches!(listed, Err(GoogleError::Status(401, _))) {
        // Access revoked in the Google account leaves a stored token that
        // still looks valid until it expires: one refresh tells a stale token
        // (retried) from a revoked grant (the connection is marked inactive).
        session.forget_access_token();
        token = session.access_token(state).await?;
        listed = state.google.contacts(&token).await;
    }
    let existing = match listed {
        Ok(existing) => existing,
        Err(err) => {
            log(
                state,
                company_id,
                "error",
                0,
                format!("{detail_prefix}Error Google: {err}"),
            )
            .await?;
            return Err(google_failed(&err));
        }
    };
    let mut known: HashSet<(String, String)> = HashSet::new();
    for person in &existing {
        for name in &person.names {
            for phone in &person.phones {
                known.insert(dedupe_key(name, phone));
            }
        }
    }
    let fresh: Vec<NewContact> = contacts
        .into_iter()
        .filter(|c| known.insert(dedupe_key(&c.name, &c.phone)))
        .map(|c| NewContact {
            name: c.name,
            phone: c.phone,
        })
        .collect();
    let mut created = 0;
    let mut warnings = Vec::new();
    for batch in fresh.chunks(MAX_BATCH) {
        match state.google.create_contacts(&token, batch).await {
            Ok(outcome) => {
                created += outcome.created;
                warnings.extend(
                    outcome
                        .refused
                        .into_iter()
                        .map(|(name, reason)| format!("{name}: {reason}")),
                );
            }
            Err(err) => warnings.extend(batch.iter().map(|c| format!("{}: {err}", c.name))),
        }
    }
    let mut detail = format!("{detail_prefix}Nuevos: {created}, actualizados: 0");
    if !warnings.is_empty() {
        detail.push_str(&format!(", errores: {}", warnings.len()));
    }
    let status = if warnings.is_empty() {
        "exito"
    } else {
        "parcial"
    };
    log(state, company_id, status, created, detail).await?;
    Ok(ContactsSyncResult {
        advertencias: warnings,
        actualizados: 0,
        nuevos: created,
        total,
    })
}

/// A `google_contacts` row of `logs_sincronizacion`.
pub async fn log(
    state: &AppState,
    company_id: Uuid,
    status: &'static str,
    records: usize,
    detail: String,
) -> Result<(), AppError> {
    state
        .store
        .log_sync(
            company_id,
            SyncLog {
                origin: "google_contacts",
                status,
                records: Some(i32::try_from(records).unwrap_or(i32::MAX)),
                detail: Some(detail),
            },
        )
        .await?;
    Ok(())
}
