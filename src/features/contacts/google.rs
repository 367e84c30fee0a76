//! The company's Google Contacts connection (original-api.md 10.1-10.4):
//! an admin starts the consent (`GET /api/contactos/google/auth`), Google
//! sends the browser to the public callback, which checks our signed state
//! and stores the tokens encrypted; status for everyone; disconnect revokes
//! the token at Google, then deletes the row.

use axum::extract::{RawQuery, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{Duration, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::format::iso;
use crate::features::shared::OkBody;
use crate::http::ApiJson;
use crate::http::auth::{AdminUser, AuthUser};
use crate::http::error::{AppError, ErrorBody};
use crate::http::state::AppState;
use crate::integrations::google::CONTACTS_SCOPE;
use crate::security::oauth_state::OAuthStart;
use crate::store::{GoogleConnection, Role};

const MSG_NO_CONNECTION: &str = "No hay cuenta Google conectada.";

#[derive(Serialize, ToSchema)]
pub struct AuthUrlBody {
    pub ok: bool,
    /// Google's consent page; the web app sends the browser there.
    pub url: String,
}

/// The consent URL for the caller's company (admins).
#[utoipa::path(get, path = "/api/contactos/google/auth", operation_id = "contacts_google_auth", tag = "contactos", security(("bearer" = [])),
    responses(
        (status = 200, description = "Consent URL with a signed state (10 minutes)", body = AuthUrlBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
    ))]
pub async fn auth(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
) -> Result<ApiJson<AuthUrlBody>, AppError> {
    let signed = state.oauth_state.issue(
        OAuthStart {
            company_id: user.company_id(),
            user_id: user.user.id,
        },
        Utc::now().timestamp(),
    );
    Ok(ApiJson::ok(AuthUrlBody {
        ok: true,
        url: state.google.authorize_url(&signed),
    }))
}

fn redirect(state: &AppState, result: &str) -> Response {
    let base = state
        .settings
        .google
        .frontend_base_url
        .trim_end_matches('/');
    let location = format!("{base}/menu/perfil?{result}");
    (StatusCode::FOUND, [(header::LOCATION, location)]).into_response()
}

/// Checks the state and who it names: a state of ours, not expired, whose
/// user still exists, is active, is an admin of that company.
async fn started_by_admin(state: &AppState, signed: &str) -> Result<OAuthStart, AppError> {
    let invalid = || AppError::bad_request("estado_invalido");
    let start = state
        .oauth_state
        .verify(signed, Utc::now().timestamp())
        .map_err(|_| invalid())?;
    let user = state
        .store
        .user_by_id(start.user_id)
        .await?
        .ok_or_else(invalid)?;
    if !user.active || user.company_id != start.company_id || user.role != Role::Admin {
        return Err(invalid());
    }
    Ok(start)
}

/// Google's redirect after consent (public): always a 302 to the web app's
/// `/menu/perfil` with `google_conectado=true` or `google_error=...`.
#[utoipa::path(get, path = "/api/contactos/google/callback", operation_id = "contacts_google_callback", tag = "contactos",
    params(
        ("code" = Option<String>, Query, description = "Authorisation code"),
        ("state" = Option<String>, Query, description = "The state of /auth"),
        ("error" = Option<String>, Query, description = "Set when the user refused"),
    ),
    responses((status = 302, description = "To FRONTEND_BASE_URL/menu/perfil?google_conectado=true or ?google_error=acceso_denegado|estado_invalido|codigo_invalido|token_fallido")))]
pub async fn callback(State(state): State<AppState>, RawQuery(query): RawQuery) -> Response {
    let query: Vec<(String, String)> =
        url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
            .into_owned()
            .collect();
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .filter(|v| !v.is_empty())
    };
    if param("error").is_some() {
        return redirect(&state, "google_error=acceso_denegado");
    }
    let start = match param("state") {
        Some(signed) => started_by_admin(&state, signed).await,
        None => Err(AppError::bad_request("estado_invalido")),
    };
    let Ok(start) = start else {
        return redirect(&state, "google_error=estado_invalido");
    };
    let Some(code) = param("code") else {
        return redirect(&state, "google_error=codigo_invalido");
    };
    match connect(&state, start, code).await {
        Ok(()) => redirect(&state, "google_conectado=true"),
        Err(reason) => {
            tracing::warn!(company_id = %start.company_id, %reason, "Google OAuth callback failed");
            redirect(&state, "google_error=token_fallido")
        }
    }
}

/// Exchanges the code and stores the tokens, encrypted.
async fn connect(state: &AppState, start: OAuthStart, code: &str) -> Result<(), String> {
    let grant = state
        .google
        .exchange_code(code)
        .await
        .map_err(|e| e.to_string())?;
    let refresh = grant
        .refresh_token
        .ok_or_else(|| "no refresh_token".to_string())?;
    let encrypt = |text: &str| state.cipher.encrypt(text).map_err(|e| e.to_string());
    let connection = GoogleConnection {
        access_token_encrypted: Some(encrypt(&grant.access_token)?),
        refresh_token_encrypted: encrypt(&refresh)?,
        token_expiry: Some(Utc::now() + Duration::seconds(grant.expires_in)),
        scope: grant.scope.unwrap_or_else(|| CONTACTS_SCOPE.to_string()),
        active: true,
    };
    state
        .store
        .save_google_connection(start.company_id, &connection)
        .await
        .map_err(|e| e.to_string())?;
    tracing::info!(company_id = %start.company_id, user_id = %start.user_id, "Google Contacts connected");
    Ok(())
}

#[derive(Serialize, ToSchema)]
pub struct GoogleState {
    /// The granted scope (only when connected).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alcance: Option<String>,
    pub conectado: bool,
    /// When the newest sync was logged, or null (only when connected).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub ultimo_sync: Option<Option<String>>,
}

#[derive(Serialize, ToSchema)]
pub struct GoogleStatusBody {
    pub google: GoogleState,
    pub ok: bool,
}

/// Whether the company has an active connection, and its last sync.
#[utoipa::path(get, path = "/api/contactos/google/status", operation_id = "contacts_google_status", tag = "contactos", security(("bearer" = [])),
    responses((status = 200, description = "Connection status", body = GoogleStatusBody)))]
pub async fn status(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<GoogleStatusBody>, AppError> {
    let company_id = user.company_id();
    let connection = state
        .store
        .google_connection(company_id)
        .await?
        .filter(|c| c.active);
    let google = match connection {
        None => GoogleState {
            alcance: None,
            conectado: false,
            ultimo_sync: None,
        },
        Some(connection) => GoogleState {
            alcance: Some(connection.scope),
            conectado: true,
            ultimo_sync: Some(state.store.last_google_sync(company_id).await?.map(iso)),
        },
    };
    Ok(ApiJson::ok(GoogleStatusBody { google, ok: true }))
}

/// Revokes the refresh token at Google (best effort) and deletes the
/// connection (admins).
#[utoipa::path(delete, path = "/api/contactos/google/conexion", operation_id = "contacts_google_disconnect", tag = "contactos", security(("bearer" = [])),
    responses(
        (status = 200, description = "Disconnected", body = OkBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 404, description = "No connection", body = ErrorBody),
    ))]
pub async fn disconnect(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
) -> Result<ApiJson<OkBody>, AppError> {
    let company_id = user.company_id();
    let connection = state
        .store
        .google_connection(company_id)
        .await?
        .ok_or_else(|| AppError::not_found(MSG_NO_CONNECTION))?;
    match state.cipher.decrypt(&connection.refresh_token_encrypted) {
        Ok(token) => {
            if let Err(err) = state.google.revoke(&token).await {
                tracing::warn!(%company_id, error = %err, "Google token revocation failed; connection deleted anyway");
            }
        }
        Err(_) => tracing::warn!(%company_id, "Google refresh token undecryptable: not revoked"),
    }
    state.store.delete_google_connection(company_id).await?;
    Ok(ApiJson::ok(OkBody { ok: true }))
}
