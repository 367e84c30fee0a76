//! The CSRF extractor of the three public POST routes, and the cookie.

use axum::extract::FromRequestParts;
use axum::http::{HeaderValue, header, request::Parts};
use chrono::{DateTime, Utc};

use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::security::csrf::{CsrfError, TOKEN_TTL_SECONDS};

pub const COOKIE_NAME: &str = "csrf_token";
pub const HEADER_NAME: &str = "x-csrf-token";
pub const MSG_MISSING: &str = "Token CSRF ausente.";
pub const MSG_INVALID: &str = "Token CSRF inválido.";

/// Present in a handler's arguments: the request carried a valid pair
/// (cookie `csrf_token` equal to header `X-CSRF-Token`, signed by us).
#[derive(Debug, Clone, Copy)]
pub struct CsrfChecked;

/// The value of cookie `name` in the request's `Cookie` headers.
pub fn cookie_value<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts
        .headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim_matches('"'))
}

impl FromRequestParts<AppState> for CsrfChecked {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let cookie = cookie_value(parts, COOKIE_NAME);
        let header = parts.headers.get(HEADER_NAME).and_then(|v| v.to_str().ok());
        match state.csrf.verify(cookie, header, Utc::now().timestamp()) {
            Ok(()) => Ok(CsrfChecked),
            Err(CsrfError::Missing) => {
                tracing::info!("CSRF token missing");
                Err(AppError::forbidden(MSG_MISSING))
            }
            Err(CsrfError::Invalid) => {
                tracing::info!("CSRF token invalid");
                Err(AppError::forbidden(MSG_INVALID))
            }
        }
    }
}

/// `Set-Cookie` for a fresh token: 1 hour, `SameSite=Strict`, readable by
/// scripts, `Secure` unless `FLASK_ENV=development`.
pub fn set_cookie(token: &str, now: DateTime<Utc>, secure: bool) -> HeaderValue {
    let expires =
        (now + chrono::Duration::seconds(TOKEN_TTL_SECONDS)).format("%a, %d %b %Y %H:%M:%S GMT");
    let secure = if secure { " Secure;" } else { "" };
    let cookie = format!(
        "{COOKIE_NAME}={token}; Expires={expires}; Max-Age={TOKEN_TTL_SECONDS};{secure} Path=/; SameSite=Strict"
    );
    // Tokens are base64url and dots: always a valid header value.
    HeaderValue::from_str(&cookie)
        .unwrap_or(HeaderValue::from_static("csrf_token=; Max-Age=0; Path=/"))
}
