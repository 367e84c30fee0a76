//! `/api/usuarios`: a company's users, for its admins and for superadmins
//! (who may name another company with `?empresa_id=`). original-api.md 5.

use axum::extract::State;
use axum::http::StatusCode;
use chrono::{Duration, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::format::iso;
use crate::domain::sanitize::sanitize_email;
use crate::domain::validation::{FieldErrors, Input};
use crate::features::shared::OkBody;
use crate::http::ApiJson;
use crate::http::auth::AdminOrSuperadmin;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::{JsonBody, PathId, PathResource, TargetCompany};
use crate::http::state::AppState;
use crate::security::password::temporary_password;
use crate::store::{
    AddUser, ChangeRole, NewUser, PasswordChange, RemoveUser, Role, User, max_users,
};

pub const MSG_NOT_FOUND: &str = "Usuario no encontrado.";
const MSG_EMAIL_INVALID: &str = "El correo electrónico no es válido.";
const MSG_EMAIL_TAKEN: &str = "El correo electrónico ya está en uso.";
const MSG_ROLE: &str = "Rol inválido. Opciones: admin, operativo.";
const MSG_OWN_ACCOUNT: &str = "No puedes eliminar tu propia cuenta.";
const MSG_LAST_ADMIN_DELETE: &str = "No se puede eliminar al único administrador.";
const MSG_LAST_ADMIN_ROLE: &str = "No se puede quitar el rol al único administrador.";

/// Admin-made and reset passwords count as changed 60 days ago, so the
/// user is asked to change them at the next login.
const TEMPORARY_PASSWORD_AGE_DAYS: i64 = 60;

#[derive(Serialize, ToSchema)]
pub struct UserView {
    pub activo: bool,
    pub created_at: Option<String>,
    pub email: String,
    pub id: Uuid,
    pub rol: &'static str,
}

impl From<&User> for UserView {
    fn from(u: &User) -> Self {
        UserView {
            activo: u.active,
            created_at: Some(iso(u.created_at)),
            email: u.email.clone(),
            id: u.id,
            rol: u.role.as_str(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct UsersBody {
    pub max_usuarios: i64,
    pub ok: bool,
    pub usuarios: Vec<UserView>,
}

#[derive(Serialize, ToSchema)]
pub struct CreatedUserBody {
    pub ok: bool,
    /// Shown once; the user must change it at first login.
    pub password_temporal: String,
    pub usuario: UserView,
}

#[derive(Serialize, ToSchema)]
pub struct UserBody {
    pub ok: bool,
    pub usuario: UserView,
}

#[derive(Serialize, ToSchema)]
pub struct TemporaryPasswordBody {
    pub ok: bool,
    pub password_temporal: String,
}

/// `POST` body: `email`, `rol` (`admin` | `operativo`).
/// (`parse_new_user` trims and lower-cases both.)
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    #[schema(format = Email, min_length = 1, max_length = 254)]
    pub email: String,
    #[serde(rename = "rol", deserialize_with = "role_from_wire")]
    #[schema(schema_with = role_schema)]
    pub role: Role,
}

/// `PATCH` body: `rol`.
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    #[serde(rename = "rol", deserialize_with = "role_from_wire")]
    #[schema(schema_with = role_schema)]
    pub role: Role,
}

/// serde's reading of `rol` (the handlers parse with `parse_new_user` and
/// `parse_role`; this keeps the derive honest).
fn role_from_wire<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Role, D::Error> {
    let text = String::deserialize(deserializer)?;
    role_from(&text).ok_or_else(|| serde::de::Error::custom(MSG_ROLE))
}

pub const ROLES: &[&str] = &["admin", "operativo"];

fn role_schema() -> utoipa::openapi::Object {
    crate::features::shared::one_of_schema(ROLES, false)
}

/// A role as the original's schemas read it: trimmed, lower-cased, one of two.
fn role_from(text: &str) -> Option<Role> {
    match text.trim().to_lowercase().as_str() {
        "admin" => Some(Role::Admin),
        "operativo" => Some(Role::Operations),
        _ => None,
    }
}

/// Field checks first, then unknown fields, then the custom validators.
fn check_role(input: &mut Input, value: Option<String>) -> Option<Role> {
    let role = value.as_deref().map(role_from)?;
    if role.is_none() {
        input.error("rol", MSG_ROLE);
    }
    role
}

pub fn parse_new_user(body: &Value) -> Result<NewUserRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let email = input.string("email", true).map(|e| e.trim().to_lowercase());
    let role_value = input.string("rol", true);
    input.unknown_fields();
    // Custom validators, by name: validate_email, validate_rol.
    if email
        .as_ref()
        .is_some_and(|e| e.is_empty() || e.chars().count() > 254)
    {
        input.error("email", MSG_EMAIL_INVALID);
    }
    let role = check_role(&mut input, role_value);
    match (email, role) {
        (Some(email), Some(role)) if !input.has_errors() => Ok(NewUserRequest { email, role }),
        _ => Err(input.errors),
    }
}

pub fn parse_role(body: &Value) -> Result<RoleRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let value = input.string("rol", true);
    input.unknown_fields();
    let role = check_role(&mut input, value);
    match role {
        Some(role) if !input.has_errors() => Ok(RoleRequest { role }),
        _ => Err(input.errors),
    }
}

/// `{usuario_id}` of the user routes.
pub enum UserRoute {}

impl PathResource for UserRoute {
    const NOT_FOUND: &'static str = MSG_NOT_FOUND;
}

type UserId = PathId<UserRoute>;

fn temporary_password_date() -> chrono::DateTime<Utc> {
    Utc::now() - Duration::days(TEMPORARY_PASSWORD_AGE_DAYS)
}

/// Users of the company (active or not), oldest first, and its user limit.
#[utoipa::path(get, path = "/api/usuarios", operation_id = "users_list", tag = "usuarios", security(("bearer" = [])),
    params(("empresa_id" = Option<String>, Query, description = "Superadmins: act on this company (a UUID; empty is none)", pattern = "^ *([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})? *$")),
    responses(
        (status = 200, description = "Users", body = UsersBody),
        (status = 403, description = "Not an admin or superadmin", body = ErrorBody),
        (status = 404, description = "Empresa no encontrada.", body = ErrorBody),
        (status = 422, description = "Malformed empresa_id", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _caller: AdminOrSuperadmin,
    TargetCompany(company_id): TargetCompany,
) -> Result<ApiJson<UsersBody>, AppError> {
    let users = state.store.users(company_id).await?;
    let limit = state
        .store
        .company(company_id)
        .await?
        .map(|c| max_users(&c.settings))
        .unwrap_or(4);
    Ok(ApiJson::ok(UsersBody {
        max_usuarios: limit,
        ok: true,
        usuarios: users.iter().map(UserView::from).collect(),
    }))
}

/// Creates a user with a temporary password, returned once.
#[utoipa::path(post, path = "/api/usuarios", operation_id = "users_create", tag = "usuarios", security(("bearer" = [])),
    params(("empresa_id" = Option<String>, Query, description = "Superadmins: act on this company (a UUID; empty is none)", pattern = "^ *([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})? *$")),
    request_body(content = NewUserRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = CreatedUserBody),
        (status = 400, description = "No JSON body", body = ErrorBody),
        (status = 403, description = "Not an admin or superadmin", body = ErrorBody),
        (status = 422, description = "Invalid body, user limit reached, or email in use", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _caller: AdminOrSuperadmin,
    company: Result<TargetCompany, AppError>,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<CreatedUserBody>, AppError> {
    // A missing body is 400 before `?empresa_id`'s 422 or 404.
    let TargetCompany(company_id) = company?;
    let NewUserRequest { email, role } =
        parse_new_user(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    let email = sanitize_email(&email)
        .ok_or_else(|| AppError::unprocessable(vec![MSG_EMAIL_INVALID.into()]))?;
    let password = temporary_password();
    let password_hash = state.hasher.hash(password.clone()).await?;
    let new = NewUser {
        email,
        password_hash,
        role,
        is_superadmin: false,
        password_changed_at: Some(temporary_password_date()),
        temporary_password: true,
    };
    match state.store.add_user_within_limit(company_id, new).await? {
        AddUser::Added(user) => {
            tracing::info!(user_id = %user.id, %company_id, "user created");
            Ok(ApiJson(
                StatusCode::CREATED,
                CreatedUserBody {
                    ok: true,
                    password_temporal: password,
                    usuario: UserView::from(&user),
                },
            ))
        }
        AddUser::LimitReached(max) => Err(AppError::unprocessable(vec![format!(
            "Límite de usuarios alcanzado ({max})."
        )])),
        AddUser::EmailTaken => Err(AppError::unprocessable(vec![MSG_EMAIL_TAKEN.into()])),
    }
}

/// Deletes a user (not oneself, not the company's last admin).
#[utoipa::path(delete, path = "/api/usuarios/{usuario_id}", operation_id = "users_delete", tag = "usuarios", security(("bearer" = [])),
    params(("usuario_id" = Uuid, Path), ("empresa_id" = Option<String>, Query, description = "Superadmins: act on this company (a UUID; empty is none)", pattern = "^ *([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})? *$")),
    responses(
        (status = 200, description = "Deleted", body = OkBody),
        (status = 404, description = "Usuario no encontrado.", body = ErrorBody),
        (status = 422, description = "Own account, or the last admin", body = ErrorBody),
    ))]
pub async fn delete(
    State(state): State<AppState>,
    caller: AdminOrSuperadmin,
    TargetCompany(company_id): TargetCompany,
    PathId(id, _): UserId,
) -> Result<ApiJson<OkBody>, AppError> {
    match state
        .store
        .remove_user(company_id, id, caller.0.user.id)
        .await?
    {
        RemoveUser::Removed => {
            tracing::info!(user_id = %id, %company_id, "user deleted");
            Ok(ApiJson::ok(OkBody { ok: true }))
        }
        RemoveUser::NotFound => Err(AppError::not_found(MSG_NOT_FOUND)),
        RemoveUser::OwnAccount => Err(AppError::unprocessable(vec![MSG_OWN_ACCOUNT.into()])),
        RemoveUser::LastAdmin => Err(AppError::unprocessable(vec![MSG_LAST_ADMIN_DELETE.into()])),
    }
}

/// Changes a user's role (the company keeps at least one admin).
#[utoipa::path(patch, path = "/api/usuarios/{usuario_id}", operation_id = "users_change_role", tag = "usuarios", security(("bearer" = [])),
    params(("usuario_id" = Uuid, Path), ("empresa_id" = Option<String>, Query, description = "Superadmins: act on this company (a UUID; empty is none)", pattern = "^ *([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})? *$")),
    request_body(content = RoleRequest, content_type = "application/json"),
    responses(
        (status = 200, description = "Updated", body = UserBody),
        (status = 400, description = "No JSON body", body = ErrorBody),
        (status = 404, description = "Usuario no encontrado.", body = ErrorBody),
        (status = 422, description = "Invalid role, or the last admin", body = ErrorBody),
    ))]
pub async fn change_role(
    State(state): State<AppState>,
    _caller: AdminOrSuperadmin,
    company: Result<TargetCompany, AppError>,
    id: Result<UserId, AppError>,
    JsonBody(body): JsonBody,
) -> Result<ApiJson<UserBody>, AppError> {
    let TargetCompany(company_id) = company?;
    // The body is validated before the user is looked up, as the original does.
    let RoleRequest { role } =
        parse_role(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    let PathId(id, _) = id?;
    match state.store.change_role(company_id, id, role).await? {
        ChangeRole::Changed(user) => Ok(ApiJson::ok(UserBody {
            ok: true,
            usuario: UserView::from(&user),
        })),
        ChangeRole::NotFound => Err(AppError::not_found(MSG_NOT_FOUND)),
        ChangeRole::LastAdmin => Err(AppError::unprocessable(vec![MSG_LAST_ADMIN_ROLE.into()])),
    }
}

/// Resets a user's password to a new temporary one; every session of that user ends.
#[utoipa::path(patch, path = "/api/usuarios/{usuario_id}/contrasena", operation_id = "users_reset_password", tag = "usuarios", security(("bearer" = [])),
    params(("usuario_id" = Uuid, Path), ("empresa_id" = Option<String>, Query, description = "Superadmins: act on this company (a UUID; empty is none)", pattern = "^ *([0-9A-Fa-f]{8}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{4}-[0-9A-Fa-f]{12})? *$")),
    responses(
        (status = 200, description = "New temporary password", body = TemporaryPasswordBody),
        (status = 404, description = "Usuario no encontrado.", body = ErrorBody),
    ))]
pub async fn reset_password(
    State(state): State<AppState>,
    _caller: AdminOrSuperadmin,
    TargetCompany(company_id): TargetCompany,
    PathId(id, _): UserId,
) -> Result<ApiJson<TemporaryPasswordBody>, AppError> {
    if state.store.user(company_id, id).await?.is_none() {
        return Err(AppError::not_found(MSG_NOT_FOUND));
    }
    let password = temporary_password();
    let change = PasswordChange {
        hash: state.hasher.hash(password.clone()).await?,
        temporary: true,
        changed_at: temporary_password_date(),
        tokens_valid_from: Utc::now(),
        kept_token: None,
        replaces_hash: None,
    };
    if !state.store.set_password(company_id, id, change).await? {
        return Err(AppError::not_found(MSG_NOT_FOUND));
    }
    tracing::info!(user_id = %id, %company_id, "password reset by an admin");
    Ok(ApiJson::ok(TemporaryPasswordBody {
        ok: true,
        password_temporal: password,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn new_user_validation_in_the_original_order() {
        assert_eq!(
            parse_new_user(&json!({"email": 5, "x": 1}))
                .unwrap_err()
                .flatten(),
            vec![
                "email: Not a valid string.",
                "rol: Missing data for required field.",
                "x: Unknown field."
            ]
        );
        assert_eq!(
            parse_new_user(&json!({"email": "  ", "rol": "jefe"}))
                .unwrap_err()
                .flatten(),
            vec![
                "email: El correo electrónico no es válido.",
                "rol: Rol inválido. Opciones: admin, operativo."
            ]
        );
        assert_eq!(
            parse_new_user(&json!({"email": " Ana@X.es ", "rol": " ADMIN "})).unwrap(),
            NewUserRequest {
                email: "ana@x.es".to_string(),
                role: Role::Admin
            }
        );
    }

    #[test]
    fn role_validation() {
        assert_eq!(
            parse_role(&json!({"rol": "Operativo"})).unwrap().role,
            Role::Operations
        );
        assert_eq!(
            parse_role(&json!({"rol": "root", "es_superadmin": true}))
                .unwrap_err()
                .flatten(),
            vec![
                "es_superadmin: Unknown field.",
                "rol: Rol inválido. Opciones: admin, operativo."
            ]
        );
    }
}
