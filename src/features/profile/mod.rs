//! `/api/perfil`: one's own profile and password, and the company's
//! integration and column settings (writes for admins). original-api.md 6.

use axum::extract::State;
use chrono::Utc;
use serde::Serialize;
use serde_json::{Value, json};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::format::iso;
use crate::domain::password::password_problems;
use crate::domain::validation::{
    FieldErrors, Input, length_between, one_of_message, range_message,
};
use crate::features::apartments::pms_config::{self, PmsInput, read_common};
use crate::features::users::OkBody;
use crate::http::ApiJson;
use crate::http::auth::{AdminUser, AuthUser};
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::JsonBody;
use crate::security::cipher::CipherError;
use crate::security::jwt::fingerprint;
use crate::state::AppState;
use crate::store::PasswordChange;

pub const PMS_PROVIDERS: &[&str] = &["smoobu", "beds24", "hostaway", "cloudbeds"];
pub const AI_PROVIDERS: &[&str] = &["default", "gemini", "openai", "claude"];
const MSG_WRONG_CURRENT: &str = "La contraseña actual no es correcta.";
const MSG_CONFIRM: &str = "Las contraseñas no coinciden.";
const MSG_UNUSABLE_CHARS: &str = "La contraseña no puede contener <, > ni caracteres de control.";
pub const MSG_NO_FERNET: &str = "El servidor no tiene configurada la clave de cifrado (FERNET_KEY). Contacta con el administrador.";
const MSG_PATTERN: &str = "String does not match expected pattern.";

/// Keys of `empresas.configuracion` written here.
const XLSX_KEY: &str = "xlsx_apartamentos";
const LATE_KEY: &str = "notificaciones_tardias";

#[derive(Serialize, ToSchema)]
pub struct ProfileData {
    pub email: String,
    pub empresa_id: Uuid,
    pub password_changed_at: Option<String>,
    pub rol: &'static str,
}

#[derive(Serialize, ToSchema)]
pub struct ProfileBody {
    pub data: ProfileData,
    pub ok: bool,
}

/// One's own profile.
#[utoipa::path(get, path = "/api/perfil", tag = "perfil", security(("bearer" = [])),
    responses((status = 200, description = "Profile", body = ProfileBody), (status = 401, description = "No valid token", body = ErrorBody)))]
pub async fn profile(user: AuthUser) -> ApiJson<ProfileBody> {
    let u = &user.user;
    ApiJson::ok(ProfileBody {
        data: ProfileData {
            email: u.email.clone(),
            empresa_id: u.company_id,
            password_changed_at: u.password_changed_at.map(iso),
            rol: u.role.as_str(),
        },
        ok: true,
    })
}

/// `PUT /api/perfil/password` body.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PasswordRequest {
    password_actual: String,
    /// 8 to 128 characters, at most 72 bytes, no `<`, `>` or control characters.
    password_nueva: String,
    /// Optional; must equal `password_nueva`.
    password_confirm: Option<String>,
}

pub fn parse_password_change(body: &Value) -> Result<(String, String), FieldErrors> {
    let mut input = Input::new(body)?;
    let current = input.string("password_actual", true);
    if current
        .as_ref()
        .is_some_and(|p| !(1..=128).contains(&p.chars().count()))
    {
        input.error("password_actual", length_between(1, 128));
    }
    let new = input.string("password_nueva", true);
    let new_length_ok = new
        .as_ref()
        .is_some_and(|p| (8..=128).contains(&p.chars().count()));
    if new.is_some() && !new_length_ok {
        input.error("password_nueva", length_between(8, 128));
    }
    // Optional repetition of the new password.
    let confirm = input.nullable_string("password_confirm").flatten();
    input.unknown_fields();
    // Our one password rule (login's clean-up would make these unusable).
    if let Some(p) = new.as_ref().filter(|_| new_length_ok) {
        for problem in password_problems(p) {
            input.error("password_nueva", problem);
        }
        if p.chars()
            .any(|c| c == '<' || c == '>' || ((c as u32) < 0x20 && c != '\t'))
        {
            input.error("password_nueva", MSG_UNUSABLE_CHARS);
        }
    }
    if confirm.is_some_and(|c| Some(&c) != new.as_ref()) {
        input.error("password_confirm", MSG_CONFIRM);
    }
    match (current, new) {
        (Some(current), Some(new)) if !input.has_errors() => Ok((current, new)),
        _ => Err(input.errors),
    }
}

/// Changes one's own password. The session that made the change keeps
/// working; every other session of the user ends.
#[utoipa::path(put, path = "/api/perfil/password", tag = "perfil", security(("bearer" = [])),
    request_body(content = PasswordRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = OkBody),
        (status = 400, description = "No JSON body", body = ErrorBody),
        (status = 422, description = "Invalid body or wrong current password", body = ErrorBody),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    user: AuthUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<OkBody>, AppError> {
    let (current, new) =
        parse_password_change(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    if !state
        .hasher
        .verify(current, Some(user.user.password_hash.clone()))
        .await?
    {
        return Err(AppError::unprocessable(vec![MSG_WRONG_CURRENT.into()]));
    }
    let now = Utc::now();
    let change = PasswordChange {
        hash: state.hasher.hash(new).await?,
        changed_at: now,
        tokens_valid_from: now,
        kept_token: Some(fingerprint(&user.raw_token)),
        // Written only over the hash just checked: of two changes at once, one wins.
        replaces_hash: Some(user.user.password_hash.clone()),
    };
    if !state
        .store
        .set_password(user.company_id(), user.user.id, change)
        .await?
    {
        return Err(AppError::unprocessable(vec![MSG_WRONG_CURRENT.into()]));
    }
    tracing::info!(user_id = %user.user.id, "password changed by its owner");
    Ok(ApiJson::ok(OkBody { ok: true }))
}

#[derive(Serialize, ToSchema)]
pub struct PmsStatus {
    pub configurado: bool,
    pub proveedor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct GoogleStatus {
    pub configurado: bool,
}

#[derive(Serialize, ToSchema)]
pub struct AiStatus {
    pub configurado: bool,
    pub modelo: Option<String>,
    pub proveedor: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct IntegrationsData {
    pub google: GoogleStatus,
    pub ia: AiStatus,
    pub pms: PmsStatus,
}

#[derive(Serialize, ToSchema)]
pub struct IntegrationsBody {
    pub data: IntegrationsData,
    pub ok: bool,
}

/// Which integrations the company has (keys are never returned).
#[utoipa::path(get, path = "/api/perfil/integraciones", tag = "perfil", security(("bearer" = [])),
    responses((status = 200, description = "Integration status", body = IntegrationsBody)))]
pub async fn integrations(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<IntegrationsBody>, AppError> {
    let company = user.company_id();
    let pms = state.store.pms_config(company).await?;
    let ai = state.store.ai_config(company).await?;
    let google = state.store.google_connected(company).await?;
    let has_key = |k: &Option<String>| k.as_deref().is_some_and(|k| !k.is_empty());
    Ok(ApiJson::ok(IntegrationsBody {
        data: IntegrationsData {
            google: GoogleStatus {
                configurado: google,
            },
            ia: AiStatus {
                configurado: ai.as_ref().is_some_and(|a| has_key(&a.api_key_encrypted)),
                modelo: ai.as_ref().and_then(|a| a.model.clone()),
                proveedor: ai.as_ref().map(|a| a.provider.clone()),
            },
            pms: PmsStatus {
                configurado: pms.as_ref().is_some_and(|p| has_key(&p.api_key_encrypted)),
                proveedor: pms.map(|p| p.provider),
            },
        },
        ok: true,
    }))
}

/// `PUT /api/perfil/integraciones/pms` body.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct PmsRequest {
    /// `smoobu`, `beds24`, `hostaway` or `cloudbeds`.
    proveedor: String,
    /// 1 to 500 characters; stored encrypted.
    api_key: String,
}

pub fn parse_pms(body: &Value) -> Result<PmsInput, FieldErrors> {
    let mut input = Input::new(body)?;
    let (provider, key, secret) = read_common(&mut input, false);
    input.unknown_fields();
    match (provider, key, secret) {
        (Some(provider), Some(api_key), Some(api_secret)) if !input.has_errors() => {
            // This route keeps the stored endpoint.
            Ok(PmsInput {
                provider,
                api_key,
                api_secret,
                endpoint: None,
            })
        }
        _ => Err(input.errors),
    }
}

fn encrypt(state: &AppState, plaintext: &str) -> Result<String, AppError> {
    state.cipher.encrypt(plaintext).map_err(|err| match err {
        CipherError::NoKey | CipherError::Undecryptable => {
            AppError::unprocessable(vec![MSG_NO_FERNET.into()])
        }
    })
}

/// Saves the company's PMS provider and key (encrypted).
#[utoipa::path(put, path = "/api/perfil/integraciones/pms", tag = "perfil", security(("bearer" = [])),
    request_body(content = PmsRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = OkBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, description = "Invalid body, or no FERNET_KEY", body = ErrorBody),
    ))]
pub async fn save_pms(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<OkBody>, AppError> {
    let input = parse_pms(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    pms_config::save(&state, user.company_id(), input).await?;
    Ok(ApiJson::ok(OkBody { ok: true }))
}

/// Removes the company's PMS settings (200 even when there were none).
#[utoipa::path(delete, path = "/api/perfil/integraciones/pms", tag = "perfil", security(("bearer" = [])),
    responses((status = 200, description = "Removed", body = OkBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn delete_pms(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
) -> Result<ApiJson<OkBody>, AppError> {
    state.store.delete_pms_config(user.company_id()).await?;
    Ok(ApiJson::ok(OkBody { ok: true }))
}

/// `PUT /api/perfil/integraciones/ia` body.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct AiRequest {
    /// `default`, `gemini`, `openai` or `claude`.
    proveedor: String,
    modelo: Option<String>,
    /// Own key (BYOK), stored encrypted; null or empty removes it.
    api_key: Option<String>,
}

pub fn parse_ai(body: &Value) -> Result<(String, Option<String>, Option<String>), FieldErrors> {
    let mut input = Input::new(body)?;
    let provider = input.string("proveedor", true);
    if provider
        .as_deref()
        .is_some_and(|p| !AI_PROVIDERS.contains(&p))
    {
        input.error("proveedor", one_of_message(AI_PROVIDERS));
    }
    let model = input.nullable_string("modelo");
    if model
        .as_ref()
        .and_then(|m| m.as_ref())
        .is_some_and(|m| m.chars().count() > 100)
    {
        input.error("modelo", "Longer than maximum length 100.");
    }
    let key = input.nullable_string("api_key");
    if key
        .as_ref()
        .and_then(|k| k.as_ref())
        .is_some_and(|k| k.chars().count() > 500)
    {
        input.error("api_key", "Longer than maximum length 500.");
    }
    input.unknown_fields();
    match (provider, model, key) {
        (Some(p), Some(m), Some(k)) if !input.has_errors() => Ok((p, m, k)),
        _ => Err(input.errors),
    }
}

/// Saves the company's AI provider, model and own key (each replaced).
#[utoipa::path(put, path = "/api/perfil/integraciones/ia", tag = "perfil", security(("bearer" = [])),
    request_body(content = AiRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = OkBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, description = "Invalid body, or a key without FERNET_KEY", body = ErrorBody),
    ))]
pub async fn save_ai(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<OkBody>, AppError> {
    let (provider, model, key) =
        parse_ai(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    let encrypted = match key.filter(|k| !k.is_empty()) {
        Some(key) => Some(encrypt(&state, &key)?),
        None => None,
    };
    state
        .store
        .save_ai_config(
            user.company_id(),
            &provider,
            model.as_deref(),
            encrypted.as_deref(),
        )
        .await?;
    tracing::info!(company_id = %user.company_id(), %provider, "AI settings saved");
    Ok(ApiJson::ok(OkBody { ok: true }))
}

/// Removes the company's AI settings (200 even when there were none).
#[utoipa::path(delete, path = "/api/perfil/integraciones/ia", tag = "perfil", security(("bearer" = [])),
    responses((status = 200, description = "Removed", body = OkBody), (status = 403, description = "Not an admin", body = ErrorBody)))]
pub async fn delete_ai(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
) -> Result<ApiJson<OkBody>, AppError> {
    state.store.delete_ai_config(user.company_id()).await?;
    Ok(ApiJson::ok(OkBody { ok: true }))
}

#[derive(Serialize, ToSchema)]
pub struct ConfigBody {
    /// The stored object, or null.
    #[schema(value_type = Object)]
    pub config: Value,
    pub ok: bool,
}

async fn setting(state: &AppState, company_id: Uuid, key: &str) -> Result<Option<Value>, AppError> {
    let company = state.store.company(company_id).await?;
    Ok(company
        .and_then(|c| c.settings.get(key).cloned())
        .filter(|v| !v.is_null()))
}

async fn save_setting(
    state: &AppState,
    company_id: Uuid,
    key: &'static str,
    value: Value,
) -> Result<ApiJson<OkBody>, AppError> {
    if !state
        .store
        .set_company_setting(company_id, key, value)
        .await?
    {
        return Err(AppError::not_found("Empresa no encontrada."));
    }
    Ok(ApiJson::ok(OkBody { ok: true }))
}

/// Column numbers (1-based, 0 = automatic) of the apartments spreadsheet, or null.
#[utoipa::path(get, path = "/api/perfil/xlsx-apartamentos", tag = "perfil", security(("bearer" = [])),
    responses((status = 200, description = "Column settings or null", body = ConfigBody)))]
pub async fn xlsx_settings(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<ConfigBody>, AppError> {
    let config = setting(&state, user.company_id(), XLSX_KEY)
        .await?
        .filter(|v| v.as_object().is_some_and(|o| !o.is_empty()))
        .unwrap_or(Value::Null);
    Ok(ApiJson::ok(ConfigBody { config, ok: true }))
}

/// `PUT /api/perfil/xlsx-apartamentos` body: column numbers 0 to 200.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct XlsxRequest {
    col_id_externo: i64,
    col_nombre: i64,
    col_direccion: Option<i64>,
    col_ciudad: Option<i64>,
}

pub fn parse_xlsx(body: &Value) -> Result<Value, FieldErrors> {
    let mut input = Input::new(body)?;
    let read = |input: &mut Input, name: &'static str, required: bool| {
        let value = match input.integer(name, required) {
            Some(v) => Some(v),
            None if !required && body.get(name).is_none() => Some(0),
            None => None,
        };
        if value.is_some_and(|v| !(0..=200).contains(&v)) {
            input.error(name, range_message(0, 200));
        }
        value
    };
    let id = read(&mut input, "col_id_externo", true);
    let name = read(&mut input, "col_nombre", true);
    let address = read(&mut input, "col_direccion", false);
    let city = read(&mut input, "col_ciudad", false);
    input.unknown_fields();
    match (id, name, address, city) {
        (Some(id), Some(name), Some(address), Some(city)) if !input.has_errors() => Ok(json!({
            "col_ciudad": city, "col_direccion": address, "col_id_externo": id, "col_nombre": name
        })),
        _ => Err(input.errors),
    }
}

/// Saves the apartments spreadsheet's column numbers.
#[utoipa::path(put, path = "/api/perfil/xlsx-apartamentos", tag = "perfil", security(("bearer" = [])),
    request_body(content = XlsxRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = OkBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn save_xlsx_settings(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<OkBody>, AppError> {
    let value = parse_xlsx(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    save_setting(&state, user.company_id(), XLSX_KEY, value).await
}

const LATE_COLUMNS: [&str; 5] = [
    "col_nombre",
    "col_checkin",
    "col_hora_llegada",
    "col_telefono",
    "col_apartamento",
];

fn late_defaults() -> Value {
    json!({"col_apartamento": "", "col_checkin": "", "col_hora_llegada": "", "col_nombre": "", "col_telefono": "", "hora_corte": "20:00"})
}

/// Late check-in settings: cut-off time and column letters (defaults when unset).
#[utoipa::path(get, path = "/api/perfil/notificaciones-tardio-config", tag = "perfil", security(("bearer" = [])),
    responses((status = 200, description = "Settings", body = ConfigBody)))]
pub async fn late_settings(
    State(state): State<AppState>,
    user: AuthUser,
) -> Result<ApiJson<ConfigBody>, AppError> {
    let config = setting(&state, user.company_id(), LATE_KEY)
        .await?
        .unwrap_or_else(late_defaults);
    Ok(ApiJson::ok(ConfigBody { config, ok: true }))
}

/// `HH:MM`, 00:00 to 23:59.
fn is_cut_off_time(text: &str) -> bool {
    let b = text.as_bytes();
    b.len() == 5
        && b[2] == b':'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 2 || c.is_ascii_digit())
        && (b[0] < b'2' || (b[0] == b'2' && b[1] <= b'3'))
        && b[3] <= b'5'
}

/// Up to two Excel column letters.
fn is_column_letters(text: &str) -> bool {
    text.len() <= 2 && text.chars().all(|c| c.is_ascii_alphabetic())
}

/// `PUT /api/perfil/notificaciones-tardio-config` body.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct LateRequest {
    /// `HH:MM`.
    hora_corte: String,
    col_nombre: Option<String>,
    col_checkin: Option<String>,
    col_hora_llegada: Option<String>,
    col_telefono: Option<String>,
    col_apartamento: Option<String>,
}

pub fn parse_late(body: &Value) -> Result<Value, FieldErrors> {
    let mut input = Input::new(body)?;
    let cut_off = input.string("hora_corte", true);
    if cut_off.as_deref().is_some_and(|t| !is_cut_off_time(t)) {
        input.error("hora_corte", MSG_PATTERN);
    }
    let mut config = serde_json::Map::new();
    let mut complete = true;
    for name in LATE_COLUMNS {
        let value = if body.get(name).is_some() {
            input.string(name, false)
        } else {
            Some(String::new())
        };
        match value {
            Some(v) if is_column_letters(&v) => {
                config.insert(name.to_string(), Value::String(v));
            }
            Some(_) => input.error(name, MSG_PATTERN),
            None => complete = false,
        }
    }
    input.unknown_fields();
    match cut_off {
        Some(t) if complete && !input.has_errors() => {
            config.insert("hora_corte".to_string(), Value::String(t));
            Ok(Value::Object(config))
        }
        _ => Err(input.errors),
    }
}

/// Saves the late check-in settings.
#[utoipa::path(put, path = "/api/perfil/notificaciones-tardio-config", tag = "perfil", security(("bearer" = [])),
    request_body(content = LateRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Saved", body = OkBody),
        (status = 403, description = "Not an admin", body = ErrorBody),
        (status = 422, description = "Invalid body", body = ErrorBody),
    ))]
pub async fn save_late_settings(
    State(state): State<AppState>,
    AdminUser(user): AdminUser,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<OkBody>, AppError> {
    let value = parse_late(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    save_setting(&state, user.company_id(), LATE_KEY, value).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::password::MSG_TOO_LONG_BYTES;

    #[test]
    fn password_change_rules() {
        assert_eq!(
            parse_password_change(&json!({"password_actual": "", "password_nuevo": "x"}))
                .unwrap_err()
                .flatten(),
            vec![
                "password_actual: Length must be between 1 and 128.",
                "password_nueva: Missing data for required field.",
                "password_nuevo: Unknown field.",
            ]
        );
        assert_eq!(
            parse_password_change(
                &json!({"password_actual": "a", "password_nueva": "ñ".repeat(40)})
            )
            .unwrap_err()
            .flatten(),
            vec![format!("password_nueva: {MSG_TOO_LONG_BYTES}")]
        );
        assert_eq!(
            parse_password_change(&json!({"password_actual": "a", "password_nueva": "abc<defgh"}))
                .unwrap_err()
                .flatten(),
            vec![format!("password_nueva: {MSG_UNUSABLE_CHARS}")]
        );
        assert!(
            parse_password_change(
                &json!({"password_actual": "a", "password_nueva": "new-password"})
            )
            .is_ok()
        );
    }

    #[test]
    fn provider_lists_and_lengths() {
        assert_eq!(
            parse_pms(&json!({"proveedor": "guesty", "api_key": ""}))
                .unwrap_err()
                .flatten(),
            vec![
                "proveedor: Must be one of: smoobu, beds24, hostaway, cloudbeds.",
                "api_key: Length must be between 1 and 500."
            ]
        );
        assert_eq!(
            parse_ai(&json!({"proveedor": "openai"})).unwrap(),
            ("openai".into(), None, None)
        );
        assert_eq!(
            parse_ai(&json!({"proveedor": "x", "modelo": 3}))
                .unwrap_err()
                .flatten(),
            vec![
                "proveedor: Must be one of: default, gemini, openai, claude.",
                "modelo: Not a valid string."
            ]
        );
    }

    #[test]
    fn xlsx_columns_default_to_zero_and_are_ranged() {
        assert_eq!(
            parse_xlsx(&json!({"col_id_externo": "2", "col_nombre": 3.0})).unwrap(),
            json!({"col_ciudad": 0, "col_direccion": 0, "col_id_externo": 2, "col_nombre": 3})
        );
        assert_eq!(
            parse_xlsx(&json!({"col_id_externo": 201, "col_nombre": true, "col_ciudad": -1}))
                .unwrap_err()
                .flatten(),
            vec![
                "col_id_externo: Must be greater than or equal to 0 and less than or equal to 200.",
                "col_nombre: Not a valid integer.",
                "col_ciudad: Must be greater than or equal to 0 and less than or equal to 200.",
            ]
        );
    }

    #[test]
    fn late_settings_patterns() {
        assert_eq!(
            parse_late(&json!({"hora_corte": "21:30", "col_nombre": "ab"})).unwrap(),
            json!({"col_apartamento": "", "col_checkin": "", "col_hora_llegada": "", "col_nombre": "ab", "col_telefono": "", "hora_corte": "21:30"})
        );
        for bad in ["24:00", "9:00", "12:60", "ab:cd", ""] {
            assert!(parse_late(&json!({"hora_corte": bad})).is_err(), "{bad}");
        }
        assert_eq!(
            parse_late(&json!({"hora_corte": "20:00", "col_nombre": "ABC"}))
                .unwrap_err()
                .flatten(),
            vec!["col_nombre: String does not match expected pattern."]
        );
    }
}
