//! `GET /api/csrf-token`, `POST /api/auth/login`, `GET /api/auth/validacion`.

use axum::extract::State;
use axum::http::{StatusCode, header, request::Parts};
use axum::response::{IntoResponse, Response};
use chrono::Utc;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::password::{
    clean_login_password, length_ok, must_change_password, password_problems,
};
use crate::domain::sanitize::{MAX_LEN_EMAIL, sanitize_email, sanitize_text};
use crate::domain::validation::{FieldErrors, length_between, python_str};
use crate::http::ApiJson;
use crate::http::auth::{authenticate, bearer_token};
use crate::http::csrf::{CsrfChecked, set_cookie};
use crate::http::error::ErrorBody;
use crate::http::error::{AppError, MSG_TOKEN_INVALID};
use crate::http::extract::StrictJsonBody;
use crate::http::state::AppState;
use crate::security::jwt::first_valid_second;

pub const MSG_BAD_CREDENTIALS: &str = "Credenciales incorrectas.";
const MSG_EMAIL_REQUIRED: &str = "El correo electrónico es obligatorio.";
const MSG_EMAIL_INVALID: &str = "El correo electrónico no es válido.";
const MSG_PASSWORD_REQUIRED: &str = "La contraseña es obligatoria.";

#[derive(Serialize, ToSchema)]
pub struct CsrfTokenBody {
    /// Send it back as header `X-CSRF-Token`; the same value is set as cookie `csrf_token`.
    pub csrf_token: String,
    pub ok: bool,
}

/// Issues a signed CSRF token (body and cookie).
#[utoipa::path(get, path = "/api/csrf-token", operation_id = "auth_csrf_token", tag = "auth",
    responses(
        (status = 200, description = "Token issued; `Set-Cookie: csrf_token=...`", body = CsrfTokenBody),
        (status = 429, description = "Rate limit (30/hour)", body = ErrorBody),
    ))]
pub async fn csrf_token(State(state): State<AppState>) -> Response {
    let now = Utc::now();
    let token = state.csrf.issue(now.timestamp());
    let cookie = set_cookie(&token, now, state.settings.csrf_cookie_secure());
    let mut response = ApiJson::ok(CsrfTokenBody {
        csrf_token: token,
        ok: true,
    })
    .into_response();
    response.headers_mut().insert(header::SET_COOKIE, cookie);
    response
}

/// Login body (unknown keys are ignored), as `LoginRequest::parse` returns
/// it: the email normalised, the password cleaned.
#[derive(Debug, PartialEq, Eq, ToSchema)]
pub struct LoginRequest {
    /// Longer values are cut to 254 characters before the check.
    #[schema(example = "dev@staysidekick.es", format = Email, min_length = 1)]
    pub email: String,
    /// 8 to 128 characters, at most 72 bytes, not blank; `<`, `>` and control
    /// characters are dropped before the check (the pattern states the rule for
    /// printable ASCII).
    #[schema(
        min_length = 8,
        max_length = 128,
        pattern = "^[!-;=?-~][ -;=?-~]{7,71}$"
    )]
    pub password: String,
    /// Informational (`web`, `app`); not checked.
    #[schema(rename = "origen")]
    pub origin: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct LoginBody {
    pub debe_cambiar_password: bool,
    pub ok: bool,
    /// HS256 access token.
    pub token: String,
}

impl LoginRequest {
    /// The original's `LoginSchema`: pre-load clean-up, then field rules in
    /// declaration order, then the custom validators; `"field: message"` errors.
    pub fn parse(body: &Value) -> Result<LoginRequest, Vec<String>> {
        let Some(fields) = body.as_object() else {
            return Err(vec!["_schema: Invalid input type.".to_string()]);
        };
        let mut errors = FieldErrors::new();

        let email = match fields.get("email") {
            None => {
                errors.add("email", MSG_EMAIL_REQUIRED);
                None
            }
            Some(raw) => {
                let email = sanitize_text(&python_str(raw), MAX_LEN_EMAIL)
                    .trim()
                    .to_lowercase();
                let chars = email.chars().count();
                if chars == 0 || chars > MAX_LEN_EMAIL {
                    errors.add("email", length_between(1, MAX_LEN_EMAIL));
                    None
                } else {
                    Some(email)
                }
            }
        };
        let password = match fields.get("password") {
            None => {
                errors.add("password", MSG_PASSWORD_REQUIRED);
                None
            }
            Some(raw) => {
                let password = clean_login_password(&python_str(raw));
                if length_ok(&password) {
                    Some(password)
                } else {
                    errors.add("password", length_between(8, 128));
                    None
                }
            }
        };

        let email = email.and_then(|e| {
            let normalized = sanitize_email(&e);
            if normalized.is_none() {
                errors.add("email", MSG_EMAIL_INVALID);
            }
            normalized
        });
        if let Some(p) = &password {
            for problem in password_problems(p) {
                errors.add("password", problem);
            }
        }

        match (email, password) {
            (Some(email), Some(password)) if errors.is_empty() => Ok(LoginRequest {
                email,
                password,
                origin: fields
                    .get("origen")
                    .and_then(Value::as_str)
                    .map(str::to_string),
            }),
            _ => Err(errors.flatten()),
        }
    }
}

/// Checks credentials and issues an access token. Unknown users, inactive
/// users and wrong passwords get the same 401 body after the same bcrypt work.
#[utoipa::path(post, path = "/api/auth/login", operation_id = "auth_login", tag = "auth",
    request_body(content = LoginRequest, content_type = "application/json"),
    params(
        ("X-CSRF-Token" = String, Header, description = "Value of GET /api/csrf-token, with its cookie"),
        ("csrf_token" = String, Cookie, description = "The cookie GET /api/csrf-token sets"),
    ),
    responses(
        (status = 200, description = "Logged in", body = LoginBody),
        (status = 400, description = "No JSON body, or malformed JSON", body = ErrorBody),
        (status = 401, description = "Credenciales incorrectas.", body = ErrorBody),
        (status = 403, description = "CSRF token missing or invalid", body = ErrorBody),
        (status = 413, description = "Body too large", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 422, description = "Validation errors (`field: message`)", body = ErrorBody),
        (status = 429, description = "Rate limit (10/hour)", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<AppState>,
    _csrf: CsrfChecked,
    StrictJsonBody(body): StrictJsonBody,
) -> Result<ApiJson<LoginBody>, AppError> {
    let form = LoginRequest::parse(&body).map_err(AppError::unprocessable)?;
    let user = state
        .store
        .user_by_email(&form.email)
        .await?
        .filter(|u| u.active);
    let matched = state
        .hasher
        .verify(
            form.password,
            user.as_ref().map(|u| u.password_hash.clone()),
        )
        .await?;
    let Some(user) = user.filter(|_| matched) else {
        tracing::info!("login refused");
        return Err(AppError::unauthorized(MSG_BAD_CREDENTIALS));
    };
    // Right after a reset (same second), a token stamped now would count as
    // issued before it: wait for the next whole second (at most one).
    if let Some(from) = user.tokens_valid_from {
        let wait_ms = first_valid_second(from) * 1000 - Utc::now().timestamp_millis();
        if (1..=1000).contains(&wait_ms) {
            tokio::time::sleep(std::time::Duration::from_millis(wait_ms as u64)).await;
        }
    }
    let now = Utc::now();
    let must_change = must_change_password(user.password_changed_at, now);
    let claims = state.tokens.claims_for(now, &user, must_change);
    tracing::info!(user_id = %user.id, "login");
    Ok(ApiJson::ok(LoginBody {
        debe_cambiar_password: must_change,
        ok: true,
        token: state.tokens.sign(&claims),
    }))
}

/// For nginx `auth_request`: 200 (empty body) when the bearer token is valid
/// for an existing, active user; 401 otherwise.
#[utoipa::path(get, path = "/api/auth/validacion", operation_id = "auth_validate", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Valid token (empty body)"),
        (status = 401, description = "Missing, invalid or revoked token", body = ErrorBody),
    ))]
pub async fn validacion(State(state): State<AppState>, parts: Parts) -> Result<Response, AppError> {
    let token = bearer_token(&parts)?;
    match authenticate(&state, token).await? {
        Some(_) => Ok(StatusCode::OK.into_response()),
        None => Err(AppError::unauthorized(MSG_TOKEN_INVALID)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn errors(body: Value) -> Vec<String> {
        LoginRequest::parse(&body).unwrap_err()
    }

    #[test]
    fn valid_login_is_normalised() {
        let form = LoginRequest::parse(
            &json!({"email": " <b>Dev@StaySidekick.ES</b> ", "password": "<admin123>", "x": 1}),
        )
        .unwrap();
        assert_eq!(
            form,
            LoginRequest {
                email: "dev@staysidekick.es".into(),
                password: "admin123".into(),
                origin: None
            }
        );
    }

    #[test]
    fn missing_fields_use_the_original_messages() {
        assert_eq!(
            errors(json!({"origen": "web"})),
            vec![
                "email: El correo electrónico es obligatorio.",
                "password: La contraseña es obligatoria."
            ]
        );
    }

    #[test]
    fn field_errors_precede_validator_errors() {
        assert_eq!(
            errors(json!({"email": "nope", "password": "short"})),
            vec![
                "password: Length must be between 8 and 128.",
                "email: El correo electrónico no es válido."
            ]
        );
        assert_eq!(
            errors(json!({"email": "", "password": "12345678"})),
            vec!["email: Length must be between 1 and 254."]
        );
        assert_eq!(
            errors(json!({"email": "a@x.es", "password": "        "})),
            vec!["password: La contraseña no puede estar vacía o ser solo espacios."]
        );
    }

    #[test]
    fn passwords_over_72_bytes_are_refused() {
        assert_eq!(
            errors(json!({"email": "a@x.es", "password": "ñ".repeat(40)})),
            vec!["password: La contraseña no puede superar 72 bytes."]
        );
        assert_eq!(
            errors(json!({"email": "a@x.es", "password": "x".repeat(200)})),
            vec!["password: La contraseña no puede superar 72 bytes."]
        );
    }

    #[test]
    fn non_objects_are_invalid_input() {
        for body in [json!([1]), json!("abc"), json!(true), json!(5)] {
            assert_eq!(errors(body), vec!["_schema: Invalid input type."]);
        }
    }
}
