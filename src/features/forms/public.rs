//! `POST /api/contact` and `POST /api/contacto`: CSRF, JSON body, honeypot,
//! validation, Turnstile, then the submission is stored and the notifier
//! woken; the answer never waits for a channel.

use axum::extract::State;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use crate::domain::forms::{
    COUNTRY_CODES, MSG_ACCESS_RECEIVED, MSG_CAPTCHA_FAILED, MSG_CONTACT_SENT, honeypot_filled,
    parse_access_request, parse_contact,
};
use crate::features::shared::one_of_schema;
use crate::http::ApiJson;
use crate::http::client_ip::ClientIp;
use crate::http::csrf::CsrfChecked;
use crate::http::error::{AppError, ErrorBody};
use crate::http::extract::StrictJsonBody;
use crate::http::state::AppState;
use crate::jobs::outbox::{KIND_ACCESS, KIND_CONTACT};

#[derive(Serialize, ToSchema)]
pub struct FormSentBody {
    pub message: String,
    pub ok: bool,
}

fn country_schema() -> utoipa::openapi::Object {
    one_of_schema(COUNTRY_CODES, false)
}

/// A boolean that must be `true` (the privacy tick).
fn true_schema() -> utoipa::openapi::Object {
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    ObjectBuilder::new()
        .schema_type(Type::Boolean)
        .enum_values(Some([true]))
        .build()
}

/// `POST /api/contact` body (unknown keys are ignored). Every text is read
/// with Python's `str()` and cleaned first.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AccessRequestBody {
    /// HTML stripped, whitespace collapsed, cut to 150 characters.
    #[schema(min_length = 1)]
    pub company_name: String,
    #[schema(format = Email, max_length = 254)]
    pub company_email: String,
    /// Trimmed and upper-cased first.
    #[schema(schema_with = country_schema)]
    pub country_code: String,
    /// Valid for `country_code` (or international); answered in E.164.
    #[schema(pattern = "^[0-9+().-][0-9+() .-]{2,18}[0-9+().-]$")]
    pub phone: String,
    pub is_member: bool,
    /// HTML stripped, cut to 2000 characters.
    pub message: Option<String>,
    /// Must be true.
    #[schema(schema_with = true_schema)]
    pub privacy_accepted: bool,
    #[schema(min_length = 1, max_length = 2048)]
    pub turnstile_token: String,
    /// Honeypot: omit it or send `""`. Any other value gets the same success
    /// answer and nothing happens.
    #[schema(value_type = Value, required = false)]
    pub website: Option<Value>,
}

/// `POST /api/contacto` body (unknown keys are ignored).
#[derive(Debug, Deserialize, ToSchema)]
pub struct ContactRequestBody {
    /// Cut to 150 characters after cleaning; then 1 to 100.
    #[schema(min_length = 1, max_length = 100)]
    pub nombre: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Cut to 150 characters after cleaning.
    pub empresa: Option<String>,
    /// HTML stripped, cut to 2000 characters; then at least 10.
    #[schema(min_length = 10)]
    pub mensaje: String,
    #[schema(min_length = 1, max_length = 2048)]
    pub turnstile_token: String,
    /// Honeypot: omit it or send `""` (any other value: success, nothing happens).
    #[schema(value_type = Value, required = false)]
    pub website: Option<Value>,
}

fn to_data(value: &impl Serialize) -> Result<Value, AppError> {
    serde_json::to_value(value).map_err(|_| AppError::internal())
}

/// Stores a valid submission with a pending delivery per configured channel
/// and wakes the notifier.
async fn store_and_notify(state: &AppState, kind: &str, data: &Value) -> Result<(), AppError> {
    let channels = state.outbox.channels.for_kind(kind);
    state.store.create_submission(kind, data, &channels).await?;
    state.outbox.wake();
    Ok(())
}

/// Public access-request form of the static site.
#[utoipa::path(post, path = "/api/contact", operation_id = "forms_access_request", tag = "formularios",
    request_body(content = AccessRequestBody, content_type = "application/json"),
    params(
        ("X-CSRF-Token" = String, Header, description = "Value of GET /api/csrf-token, with its cookie"),
        ("csrf_token" = String, Cookie, description = "The cookie GET /api/csrf-token sets"),
    ),
    responses(
        (status = 200, description = "Solicitud recibida correctamente.", body = FormSentBody),
        (status = 403, description = "CSRF token missing or invalid, or `La verificación del captcha ha fallado.`", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 422, description = "Validation errors (`field: message`)", body = ErrorBody),
    ))]
pub async fn access_request(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    _csrf: CsrfChecked,
    StrictJsonBody(body): StrictJsonBody,
) -> Result<ApiJson<FormSentBody>, AppError> {
    let sent = || {
        ApiJson::ok(FormSentBody {
            message: MSG_ACCESS_RECEIVED.into(),
            ok: true,
        })
    };
    if honeypot_filled(&body) {
        tracing::info!("access request: honeypot filled, ignored");
        return Ok(sent());
    }
    let submitted =
        parse_access_request(&body).map_err(|e| AppError::unprocessable(e.flatten()))?;
    if !state
        .captcha
        .verify(&submitted.turnstile_token, Some(ip))
        .await
    {
        return Err(AppError::forbidden(MSG_CAPTCHA_FAILED));
    }
    store_and_notify(&state, KIND_ACCESS, &to_data(&submitted.form)?).await?;
    tracing::info!("access request received");
    Ok(sent())
}

/// Public contact form of the static site. Errors are bare messages; a
/// failed captcha is 422 here.
#[utoipa::path(post, path = "/api/contacto", operation_id = "forms_contact", tag = "formularios",
    request_body(content = ContactRequestBody, content_type = "application/json"),
    params(
        ("X-CSRF-Token" = String, Header, description = "Value of GET /api/csrf-token, with its cookie"),
        ("csrf_token" = String, Cookie, description = "The cookie GET /api/csrf-token sets"),
    ),
    responses(
        (status = 200, description = "Mensaje enviado correctamente.", body = FormSentBody),
        (status = 403, description = "CSRF token missing or invalid", body = ErrorBody),
        (status = 415, description = "Body is not JSON", body = ErrorBody),
        (status = 422, description = "Validation errors (messages only), or `La verificación del captcha ha fallado.`", body = ErrorBody),
    ))]
pub async fn contact(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    _csrf: CsrfChecked,
    StrictJsonBody(body): StrictJsonBody,
) -> Result<ApiJson<FormSentBody>, AppError> {
    let sent = || {
        ApiJson::ok(FormSentBody {
            message: MSG_CONTACT_SENT.into(),
            ok: true,
        })
    };
    if honeypot_filled(&body) {
        tracing::info!("contact form: honeypot filled, ignored");
        return Ok(sent());
    }
    let submitted = parse_contact(&body).map_err(|e| AppError::unprocessable(e.messages()))?;
    if !state
        .captcha
        .verify(&submitted.turnstile_token, Some(ip))
        .await
    {
        return Err(AppError::unprocessable(vec![MSG_CAPTCHA_FAILED.into()]));
    }
    store_and_notify(&state, KIND_CONTACT, &to_data(&submitted.form)?).await?;
    tracing::info!("contact message received");
    Ok(sent())
}
