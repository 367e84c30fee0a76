//! Authentication and role extractors (original-api.md 1.9, 1.10), with the
//! user row checked on every request (DECISIONS section 3): a deleted or
//! deactivated user, or a token older than the user's `tokens_validos_desde`,
//! is 401; roles come from the row, so a role taken away is 403 at once on this
//! instance and within a second on others (the row cache, store/user_cache.rs).

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::{header, request::Parts};
use chrono::Utc;

use crate::http::error::{
    AppError, MSG_FORBIDDEN, MSG_TEMPORARY_PASSWORD, MSG_TOKEN_INVALID, MSG_TOKEN_REQUIRED,
};
use crate::http::state::AppState;
use crate::security::jwt::{VerifiedToken, fingerprint, first_valid_second};
use crate::store::{Role, User};

/// Any authenticated user (`jwt_required`).
#[derive(Debug, Clone)]
pub struct AuthUser {
    /// Shared with the row cache: a request copies no strings.
    pub user: Arc<User>,
    pub token: VerifiedToken,
    /// The bearer token as sent (to keep this session on a password change).
    pub raw_token: Arc<str>,
}

impl AuthUser {
    pub fn company_id(&self) -> uuid::Uuid {
        self.user.company_id
    }
    pub fn is_admin(&self) -> bool {
        self.user.role == Role::Admin
    }
    pub fn is_superadmin(&self) -> bool {
        self.user.is_superadmin
    }
}

/// Token from `Authorization: Bearer <token>` (prefix case-sensitive, one space).
pub fn bearer_token(parts: &Parts) -> Result<&str, AppError> {
    parts
        .headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .ok_or_else(|| AppError::unauthorized(MSG_TOKEN_REQUIRED))
}

/// Verifies the token and loads its user; `None` means "refuse with 401".
pub async fn authenticate(state: &AppState, raw_token: &str) -> Result<Option<AuthUser>, AppError> {
    let Some(token) = state.tokens.verify(raw_token, Utc::now()) else {
        return Ok(None);
    };
    // A row at most a second old; this instance's own writes clear it at once
    // (store/user_cache.rs).
    let Some(user) = state.store.user_for_token(token.user_id).await? else {
        return Ok(None);
    };
    // Tokens issued before the user's last password change or reset are
    // refused, except the one session that changed its own password.
    let revoked = user.tokens_valid_from.is_some_and(|from| {
        token.issued_at < first_valid_second(from)
            && user.kept_token.as_deref() != Some(fingerprint(raw_token).as_str())
    });
    if !user.active || user.company_id != token.company_id || revoked {
        return Ok(None);
    }
    Ok(Some(AuthUser {
        user,
        token,
        raw_token: raw_token.into(),
    }))
}

/// The request's session, a temporary password's included.
async fn session(parts: &mut Parts, state: &AppState) -> Result<AuthUser, AppError> {
    // Kept for the request, so a second extractor (a role, `TargetCompany`)
    // costs no second lookup of the user.
    if let Some(user) = parts.extensions.get::<AuthUser>() {
        return Ok(user.clone());
    }
    let token = bearer_token(parts)?;
    let user = authenticate(state, token)
        .await?
        .ok_or_else(|| AppError::unauthorized(MSG_TOKEN_INVALID))?;
    parts.extensions.insert(user.clone());
    Ok(user)
}

/// Every route but the password change's own refuses a user whose password
/// was handed out (creation, an admin's reset) until they pick their own.
impl FromRequestParts<AppState> for AuthUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = session(parts, state).await?;
        if user.user.temporary_password {
            return Err(AppError::forbidden(MSG_TEMPORARY_PASSWORD));
        }
        Ok(user)
    }
}

/// A session that may still hold a temporary password: only for what the
/// password change needs (reading one's profile, changing the password).
#[derive(Debug, Clone)]
pub struct PasswordChangeSession(pub AuthUser);

impl FromRequestParts<AppState> for PasswordChangeSession {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        session(parts, state).await.map(PasswordChangeSession)
    }
}

/// `require_rol("admin")`: the user's role is admin (superadmins need it too).
#[derive(Debug, Clone)]
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.is_admin() {
            Ok(AdminUser(user))
        } else {
            Err(AppError::forbidden(MSG_FORBIDDEN))
        }
    }
}

/// `require_rol("admin", "superadmin")`: admins, and superadmins whatever their role.
#[derive(Debug, Clone)]
pub struct AdminOrSuperadmin(pub AuthUser);

impl FromRequestParts<AppState> for AdminOrSuperadmin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.is_admin() || user.is_superadmin() {
            Ok(AdminOrSuperadmin(user))
        } else {
            Err(AppError::forbidden(MSG_FORBIDDEN))
        }
    }
}

/// `require_rol("superadmin")`.
#[derive(Debug, Clone)]
pub struct Superadmin(pub AuthUser);

impl FromRequestParts<AppState> for Superadmin {
    type Rejection = AppError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.is_superadmin() {
            Ok(Superadmin(user))
        } else {
            Err(AppError::forbidden(MSG_FORBIDDEN))
        }
    }
}
