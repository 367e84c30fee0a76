//! `GET/POST /api/empresas`: tenants, for superadmins only (original-api.md 4).

use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::domain::sanitize::single_line;
use crate::domain::validation::{FieldErrors, Input, length_between, marshmallow_email_ok};
use crate::http::ApiJson;
use crate::http::auth::Superadmin;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::StrictJsonBody;
use crate::http::state::AppState;
use crate::security::password::temporary_password;
use crate::store::{Company, NewCompany, StoreError};

pub const MSG_DUPLICATE: &str = "Ya existe una empresa con ese email.";

#[derive(Serialize, ToSchema)]
pub struct CompanyView {
    pub email: String,
    pub id: Uuid,
    pub nombre: String,
}

impl From<Company> for CompanyView {
    fn from(c: Company) -> Self {
        CompanyView {
            email: c.email,
            id: c.id,
            nombre: c.name,
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct CompaniesBody {
    pub empresas: Vec<CompanyView>,
    pub ok: bool,
}

#[derive(Serialize, ToSchema)]
pub struct CompanyBody {
    pub empresa: CompanyView,
    pub ok: bool,
}

/// `POST /api/empresas` body (unknown keys refused).
#[derive(Debug, Clone, PartialEq, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCompanyRequest {
    #[serde(rename = "nombre")]
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

/// Validates the body; the handler answers the bare messages (no field names),
/// as the original.
pub fn parse_new_company(body: &Value) -> Result<NewCompanyRequest, FieldErrors> {
    let mut input = Input::new(body)?;
    let name = input.string("nombre", true);
    if name
        .as_ref()
        .is_some_and(|n| !(1..=200).contains(&n.chars().count()))
    {
        input.error("nombre", length_between(1, 200));
    }
    let email = input.string("email", true);
    if email.as_deref().is_some_and(|e| !marshmallow_email_ok(e)) {
        input.error("email", "Not a valid email address.");
    } else if email.as_ref().is_some_and(|e| e.chars().count() > 254) {
        // The column holds 254; the original answered 500 here.
        input.error("email", "Longer than maximum length 254.");
    }
    input.unknown_fields();
    match (name, email) {
        // Checked as sent (the document's limits), stored on one line.
        (Some(name), Some(email)) if !input.has_errors() => Ok(NewCompanyRequest {
            name: single_line(&name),
            email,
        }),
        _ => Err(input.errors),
    }
}

/// Active companies, by name.
#[utoipa::path(get, path = "/api/empresas", operation_id = "companies_list", tag = "empresas", security(("bearer" = [])),
    responses(
        (status = 200, description = "Active companies", body = CompaniesBody),
        (status = 401, description = "No valid token", body = ErrorBody),
        (status = 403, description = "Not a superadmin", body = ErrorBody),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _: Superadmin,
) -> Result<ApiJson<CompaniesBody>, AppError> {
    let companies = state.store.active_companies().await?;
    Ok(ApiJson::ok(CompaniesBody {
        empresas: companies.into_iter().map(CompanyView::from).collect(),
        ok: true,
    }))
}

/// Creates a company (no user is created with it).
#[utoipa::path(post, path = "/api/empresas", operation_id = "companies_create", tag = "empresas", security(("bearer" = [])),
    request_body(content = NewCompanyRequest, content_type = "application/json"),
    responses(
        (status = 201, description = "Created", body = CompanyBody),
        (status = 400, description = "No JSON body", body = ErrorBody),
        (status = 403, description = "Not a superadmin", body = ErrorBody),
        (status = 409, description = "Ya existe una empresa con ese email.", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 422, description = "Validation errors", body = ErrorBody),
    ))]
pub async fn create(
    State(state): State<AppState>,
    _: Superadmin,
    StrictJsonBody(body): StrictJsonBody,
) -> Result<ApiJson<CompanyBody>, AppError> {
    let NewCompanyRequest { name, email } =
        parse_new_company(&body).map_err(|e| AppError::unprocessable(e.messages()))?;
    // Companies never log in; the column wants a bcrypt hash nobody can match.
    let password_hash = state
        .hasher
        .hash(temporary_password() + &temporary_password())
        .await?;
    let company = match state
        .store
        .create_company(NewCompany {
            name,
            email,
            city: None,
            password_hash,
        })
        .await
    {
        Ok(company) => company,
        Err(StoreError::Conflict(_)) => {
            return Err(AppError::one(StatusCode::CONFLICT, MSG_DUPLICATE));
        }
        Err(other) => return Err(other.into()),
    };
    tracing::info!(company_id = %company.id, "company created");
    Ok(ApiJson(
        StatusCode::CREATED,
        CompanyBody {
            empresa: company.into(),
            ok: true,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn company_validation_messages_are_bare() {
        assert_eq!(
            parse_new_company(&json!({"x": 1})).unwrap_err().messages(),
            vec![
                "Missing data for required field.",
                "Missing data for required field.",
                "Unknown field."
            ]
        );
        assert_eq!(
            parse_new_company(&json!({"nombre": "", "email": "a@b"}))
                .unwrap_err()
                .messages(),
            vec![
                "Length must be between 1 and 200.",
                "Not a valid email address."
            ]
        );
        assert_eq!(
            parse_new_company(&json!([1])).unwrap_err().messages(),
            vec!["Invalid input type."]
        );
        assert_eq!(
            parse_new_company(&json!({"nombre": "Acme", "email": "Ops@Acme.com"})).unwrap(),
            NewCompanyRequest {
                name: "Acme".to_string(),
                email: "Ops@Acme.com".to_string()
            }
        );
    }
}
