//! `GET /api/perfil` and `PUT /api/perfil/password`: one's own profile and
//! password (original-api.md 6.1, 6.2).

use axum::extract::State;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::format::iso;
use crate::domain::password::password_problems;
use crate::domain::validation::{FieldErrors, Input, length_between};
use crate::features::shared::OkBody;
use crate::http::ApiJson;
use crate::http::auth::PasswordChangeSession;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::JsonBody;
use crate::http::state::AppState;
use crate::security::jwt::fingerprint;
use crate::store::PasswordChange;

const MSG_WRONG_CURRENT: &str = "La contraseña actual no es correcta.";
const MSG_CONFIRM: &str = "Las contraseñas no coinciden.";
const MSG_UNUSABLE_CHARS: &str = "La contraseña no puede contener <, > ni caracteres de control.";

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
#[utoipa::path(get, path = "/api/perfil", operation_id = "profile_get", tag = "perfil", security(("bearer" = [])),
    responses((status = 200, description = "Profile", body = ProfileBody), (status = 401, description = "No valid token", body = ErrorBody)))]
pub async fn profile(PasswordChangeSession(user): PasswordChangeSession) -> ApiJson<ProfileBody> {
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
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordRequest {
    #[serde(rename = "password_actual")]
    #[schema(min_length = 1, max_length = 128)]
    pub current: String,
    /// 8 to 128 characters, at most 72 bytes, not blank, no `<`, `>` or
    /// control characters (the pattern states it for printable ASCII).
    #[serde(rename = "password_nueva")]
    #[schema(
        min_length = 8,
        max_length = 128,
        pattern = "^[!-;=?-~][ -;=?-~]{7,71}$"
    )]
    pub new: String,
    /// Optional; must equal `password_nueva`.
    #[serde(rename = "password_confirm")]
    pub confirm: Option<String>,
}

pub fn parse_password_change(body: &Value) -> Result<PasswordRequest, FieldErrors> {
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
    if confirm.as_ref().is_some_and(|c| Some(c) != new.as_ref()) {
        input.error("password_confirm", MSG_CONFIRM);
    }
    match (current, new) {
        (Some(current), Some(new)) if !input.has_errors() => Ok(PasswordRequest {
            current,
            new,
            confirm,
        }),
        _ => Err(input.errors),
    }
}

/// Changes one's own password. The session that made the change keeps
/// working, unless it was opened with a temporary password; every other
/// session of the user ends.
#[utoipa::path(put, path = "/api/perfil/password", operation_id = "profile_change_password", tag = "perfil", security(("bearer" = [])),
    request_body(content = PasswordRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Changed", body = OkBody),
        (status = 400, description = "No JSON body", body = ErrorBody),
        (status = 422, description = "Invalid body or wrong current password", body = ErrorBody),
    ))]
pub async fn change_password(
    State(state): State<AppState>,
    PasswordChangeSession(user): PasswordChangeSession,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<OkBody>, AppError> {
    let PasswordRequest { current, new, .. } =
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
        temporary: false,
        changed_at: now,
        tokens_valid_from: now,
        // A session opened with a handed-out password ends with it: the
        // user logs in again with their own (the web app's first-login flow).
        kept_token: (!user.user.temporary_password).then(|| fingerprint(&user.raw_token)),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::password::MSG_TOO_LONG_BYTES;
    use serde_json::json;

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
}
