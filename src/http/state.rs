//! What every handler shares: settings, store, keys, limiter.

use std::sync::Arc;

use ipnet::IpNet;

use axum::extract::FromRef;

use crate::config::{Secrets, Settings};
use crate::http::cache::BodyCache;
use crate::http::client_ip::TrustedProxies;
use crate::http::ratelimit::RateLimiter;
use crate::integrations::ai::{AiEndpoints, AiProviders};
use crate::integrations::google::{GoogleApi, GoogleClient};
use crate::integrations::http::Outbound;
use crate::integrations::pms_factory::PmsFactory;
use crate::security::cipher::SecretBox;
use crate::security::csrf::CsrfKey;
use crate::security::jwt::TokenKeys;
use crate::security::oauth_state::OAuthStateKey;
use crate::security::password::PasswordHasher;
use crate::store::Store;

/// How long another instance's catalogue write may take to show here.
const CATALOGUE_TTL: std::time::Duration = std::time::Duration::from_secs(2);

#[derive(Clone)]
pub struct AppState(Arc<Inner>);

pub struct Inner {
    pub settings: Settings,
    pub store: Store,
    pub tokens: TokenKeys,
    pub csrf: CsrfKey,
    pub hasher: PasswordHasher,
    /// Fernet for third-party keys at rest (refuses to work without `FERNET_KEY`).
    pub cipher: SecretBox,
    pub limiter: Arc<RateLimiter>,
    pub trusted_proxies: TrustedProxies,
    /// Spreadsheet parses run at once (each on a blocking thread).
    pub parse_permits: tokio::sync::Semaphore,
    /// The one outbound HTTP client (PMS and other third parties).
    pub outbound: Outbound,
    /// Clients of the companies' PMS, on `outbound`.
    pub pms: PmsFactory,
    /// Serialised catalogue lists per company (see `http::cache`).
    pub catalogue: BodyCache,
    /// Kept for the features that encrypt third-party keys.
    pub secrets: Secrets,
    /// Builds the AI client of each call (system or company provider).
    pub ai: AiProviders,
    /// Client IPs allowed on the system-prompt routes.
    pub prompt_admins: Vec<IpNet>,
    /// Google OAuth and People API (base URLs are operator configuration).
    pub google: Arc<dyn GoogleApi>,
    /// Signs the Google OAuth `state`.
    pub oauth_state: OAuthStateKey,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    pub fn new(
        settings: Settings,
        secrets: Secrets,
        store: Store,
        limiter: RateLimiter,
    ) -> anyhow::Result<Self> {
        let outbound = Outbound::new(settings.allow_private_pms_endpoints)?;
        Ok(AppState(Arc::new(Inner {
            tokens: TokenKeys::new(&secrets.jwt_secret_key, settings.jwt_access_token_hours),
            csrf: CsrfKey::new(&secrets.secret_key),
            oauth_state: OAuthStateKey::new(&secrets.secret_key),
            google: Arc::new(GoogleClient::new(
                Outbound::new(true)?,
                settings.google.clone(),
            )),
            hasher: PasswordHasher::new(settings.bcrypt_permits()),
            cipher: SecretBox::new(secrets.fernet_key.as_deref()),
            trusted_proxies: TrustedProxies::new(settings.trusted_proxies()?),
            limiter: Arc::new(limiter),
            catalogue: BodyCache::new(CATALOGUE_TTL),
            pms: PmsFactory::new(outbound.clone(), settings.allow_private_pms_endpoints),
            outbound,
            ai: ai_providers(&settings)?,
            prompt_admins: settings.prompt_admins()?,
            parse_permits: tokio::sync::Semaphore::new(2),
            store,
            settings,
            secrets,
        })))
    }
}

impl FromRef<AppState> for TrustedProxies {
    fn from_ref(state: &AppState) -> Self {
        state.trusted_proxies.clone()
    }
}

/// The system providers' base URLs are operator configuration (they may be a
/// private proxy); a company's own server must be public, as PMS endpoints.
fn ai_providers(settings: &Settings) -> anyhow::Result<AiProviders> {
    let ai = &settings.ai;
    let endpoints = AiEndpoints::from_settings(
        Some(&ai.openai_api_base),
        Some(&ai.gemini_api_base),
        Some(&ai.anthropic_api_base),
    )?;
    Ok(AiProviders::new(
        endpoints,
        std::time::Duration::from_secs(ai.timeout_seconds),
        Outbound::new(true)?,
        Outbound::new(settings.allow_private_pms_endpoints)?,
    ))
}
