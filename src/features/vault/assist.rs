//! One AI action from start to end (original-api.md 11.7): the company's own
//! key or the system's within the free quota, the system prompt from the
//! database or its default, the provider call, the placeholder check with one
//! firmer retry (ours), and the usage row. Errors leave as the original's
//! messages: quota and provider rate limits 429, timeout 504, the rest 502.

use axum::http::StatusCode;
use chrono::Local;
use uuid::Uuid;

use crate::domain::placeholders;
use crate::domain::vault::{AiAction, default_prompt, firmer_instruction, user_message};
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::integrations::ai::{AiError, AiProvider, Completion, CompletionOutput, route_model};
use crate::store::{AiConfig, AiQuota, AiReservation};

pub const MSG_DAILY: &str =
    "Has alcanzado el límite diario de IA. Configura tu API key en Perfil > IA.";
pub const MSG_WEEKLY: &str =
    "Has alcanzado el límite semanal de IA. Configura tu API key en Perfil > IA.";
const MSG_SYSTEM_RATE: &str = "El proveedor de IA del sistema ha alcanzado su límite de tráfico. Inténtalo en unos minutos o configura tu propia API key en Perfil > IA.";
const MSG_OWN_RATE: &str =
    "Tu proveedor de IA ha rechazado la petición por exceso de tráfico. Inténtalo en unos minutos.";
const MSG_TIMEOUT: &str = "El servicio de IA tardó demasiado. Inténtalo de nuevo.";
pub const MSG_FAILED: &str = "Error al conectar con el servicio de IA.";

/// What the caller asks the model.
pub struct Request<'a> {
    pub action: AiAction,
    pub prompt_name: &'static str,
    /// The language of an improve, the target language of a translation.
    pub language: &'a str,
    /// The text whose placeholders the answer must keep.
    pub content: &'a str,
}

/// The provider, model, key and (for a self-hosted server) base URL of a call.
struct Route {
    provider: AiProvider,
    model: String,
    key: Option<String>,
    base: Option<url::Url>,
    own_key: bool,
}

/// "Today" as the original counts it: the server's local date.
pub fn today() -> chrono::NaiveDate {
    Local::now().date_naive()
}

fn route(state: &AppState, config: Option<AiConfig>) -> Route {
    let ai = &state.settings.ai;
    match config.filter(|c| c.api_key_encrypted.is_some()) {
        Some(config) => {
            let provider = AiProvider::parse(&config.provider).unwrap_or(AiProvider::Default);
            let model = config
                .model
                .filter(|m| !m.trim().is_empty())
                .or_else(|| provider.fallback_model().map(String::from))
                .unwrap_or_else(|| ai.default_model.clone());
            // An undecryptable key is sent as no key: the provider refuses (502).
            let key = config
                .api_key_encrypted
                .and_then(|k| state.cipher.decrypt(&k).ok());
            let base = config.endpoint.and_then(|e| url::Url::parse(&e).ok());
            Route {
                provider,
                model,
                key,
                base,
                own_key: true,
            }
        }
        None => Route {
            provider: AiProvider::Default,
            model: ai.default_model.clone(),
            key: ai.default_api_key.clone(),
            base: None,
            own_key: false,
        },
    }
}

fn provider_error(err: &AiError, own_key: bool) -> AppError {
    match err {
        AiError::RateLimited if own_key => {
            AppError::one(StatusCode::TOO_MANY_REQUESTS, MSG_OWN_RATE)
        }
        AiError::RateLimited => AppError::one(StatusCode::TOO_MANY_REQUESTS, MSG_SYSTEM_RATE),
        AiError::Timeout => AppError::one(StatusCode::GATEWAY_TIMEOUT, MSG_TIMEOUT),
        AiError::Failed(_) => AppError::one(StatusCode::BAD_GATEWAY, MSG_FAILED),
    }
}

fn lost_placeholders(missing: &[&str]) -> AppError {
    let list: Vec<String> = missing.iter().map(|name| format!("{{{name}}}")).collect();
    AppError::one(
        StatusCode::BAD_GATEWAY,
        format!(
            "La IA no conservó estos marcadores: {}. Inténtalo de nuevo.",
            list.join(", ")
        ),
    )
}

/// Runs `request` for `company_id` and returns the model's text.
pub async fn run(
    state: &AppState,
    company_id: Uuid,
    request: Request<'_>,
) -> Result<String, AppError> {
    let config = state.store.ai_config(company_id).await?;
    let route = route(state, config);
    let settings = &state.settings.ai;
    let quota = (!route.own_key).then_some(AiQuota {
        daily: settings.free_limit_daily,
        weekly: settings.free_limit_weekly,
    });
    let usage_id = match state
        .store
        .reserve_ai_use(company_id, request.action.as_str(), today(), quota)
        .await?
    {
        AiReservation::Reserved(id) => id,
        AiReservation::DailyLimit => {
            return Err(AppError::one(StatusCode::TOO_MANY_REQUESTS, MSG_DAILY));
        }
        AiReservation::WeeklyLimit => {
            return Err(AppError::one(StatusCode::TOO_MANY_REQUESTS, MSG_WEEKLY));
        }
    };
    match call(state, &route, &request).await {
        Ok(output) => {
            let tokens = output.total_tokens.and_then(|t| i32::try_from(t).ok());
            state
                .store
                .confirm_ai_use(company_id, usage_id, tokens)
                .await?;
            Ok(output.text)
        }
        Err(err) => {
            // A failed call is not counted, as in the original.
            state.store.release_ai_use(company_id, usage_id).await?;
            Err(err)
        }
    }
}

async fn call(
    state: &AppState,
    route: &Route,
    request: &Request<'_>,
) -> Result<CompletionOutput, AppError> {
    let system = match state.store.system_prompt(request.prompt_name).await? {
        Some(text) => text,
        None => default_prompt(request.prompt_name).unwrap_or_default(),
    };
    let failed = |err: AiError| {
        tracing::warn!(action = request.action.as_str(), error = %err, "AI call failed");
        provider_error(&err, route.own_key)
    };
    let target = route_model(route.provider, &route.model).map_err(failed)?;
    let client = state
        .ai
        .client(target.kind, route.key.clone(), route.base.as_ref())
        .map_err(failed)?;
    let mut completion = Completion {
        model: target.model,
        system,
        user: user_message(request.action, request.language, request.content),
    };
    let first = client.complete(&completion).await.map_err(failed)?;
    let missing = placeholders::missing(request.content, &first.text);
    if missing.is_empty() {
        return Ok(first);
    }
    completion.system = format!("{}\n\n{}", completion.system, firmer_instruction(&missing));
    let second = client.complete(&completion).await.map_err(failed)?;
    let still_missing = placeholders::missing(request.content, &second.text);
    if !still_missing.is_empty() {
        tracing::warn!(action = request.action.as_str(), missing = ?still_missing, "AI answer lost placeholders twice");
        return Err(lost_placeholders(&still_missing));
    }
    Ok(CompletionOutput {
        text: second.text,
        total_tokens: first
            .total_tokens
            .zip(second.total_tokens)
            .map(|(a, b)| a + b),
    })
}
