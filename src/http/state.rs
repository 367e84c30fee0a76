//! What every handler shares: settings, store, keys, limiter.

use std::sync::Arc;

use ipnet::IpNet;

use axum::extract::FromRef;

use crate::config::FormsSettings;
use crate::config::{Secrets, Settings};
use crate::http::budget::{ParseSlots, UploadMemory};
use crate::http::cache::BodyCache;
use crate::http::client_ip::TrustedProxies;
use crate::http::ratelimit::RateLimiter;
use crate::integrations::ai::{AiEndpoints, AiProviders};
use crate::integrations::discord::Discord;
use crate::integrations::google::{GoogleApi, GoogleClient};
use crate::integrations::http::Outbound;
use crate::integrations::mail::{Mailer, SmtpConfig, SmtpMailer};
use crate::integrations::pms_factory::PmsFactory;
use crate::integrations::turnstile::{CaptchaVerifier, Turnstile};
use crate::jobs::outbox::{Channels, Outbox};
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
    /// Spreadsheet parses at once (each on a blocking thread), fair between companies.
    pub parse_slots: ParseSlots,
    /// Upload bodies held in memory, all requests together.
    pub upload_memory: UploadMemory,
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
    /// Client IPs that may read `/metrics` on the main port.
    pub metrics_allow: Vec<IpNet>,
    /// The serialised OpenAPI document, set once by `app()`.
    openapi_json: std::sync::OnceLock<axum::body::Bytes>,
    /// The public forms' captcha check (Turnstile).
    pub captcha: Arc<dyn CaptchaVerifier>,
    /// The public forms' notifier (started by `build_state`).
    pub outbox: Outbox,
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
        // Operator-configured endpoints (Turnstile, webhooks) may be private.
        let operator = Outbound::new(true)?;
        let forms = &settings.forms;
        Ok(AppState(Arc::new(Inner {
            captcha: Arc::new(Turnstile::new(
                operator.clone(),
                url::Url::parse(&forms.turnstile_verify_url)?,
                forms.turnstile_secret_key.as_deref(),
                std::time::Duration::from_millis(forms.turnstile_timeout_ms),
            )),
            outbox: Outbox::new(Channels {
                mail: mailer(&settings)?,
                webhooks: Arc::new(Discord::new(operator)),
                access_webhook: FormsSettings::given(&forms.discord_webhook_url).map(String::from),
                contact_webhook: FormsSettings::given(&forms.discord_webhook_contact_url)
                    .map(String::from),
            }),
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
            metrics_allow: settings.metrics_allow()?,
            openapi_json: std::sync::OnceLock::new(),
            parse_slots: ParseSlots::new(usize::from(settings.uploads.parse_slots)),
            upload_memory: UploadMemory::new(settings.uploads.upload_memory_bytes),
            store,
            settings,
            secrets,
        })))
    }
}

impl AppState {
    /// Keeps the OpenAPI document the docs routes serve (the first one set wins;
    /// every `app()` of one build makes the same document).
    pub fn set_openapi_json(&self, json: axum::body::Bytes) {
        let _ = self.openapi_json.set(json);
    }

    /// The OpenAPI document (`{}` before `app()` set it).
    pub fn openapi_json(&self) -> axum::body::Bytes {
        self.openapi_json
            .get()
            .cloned()
            .unwrap_or_else(|| axum::body::Bytes::from_static(b"{}"))
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

/// The access requests' mailer, when `GMAIL_USER`, `GMAIL_APP_PASSWORD` and
/// `MAIL_RECIPIENT` are all set.
fn mailer(settings: &Settings) -> anyhow::Result<Option<Arc<dyn Mailer>>> {
    let forms = &settings.forms;
    let (Some(user), Some(password), Some(recipient)) = (
        FormsSettings::given(&settings.gmail_user),
        FormsSettings::given(&settings.gmail_app_password),
        FormsSettings::given(&forms.mail_recipient),
    ) else {
        return Ok(None);
    };
    let mailer = SmtpMailer::new(SmtpConfig {
        host: &forms.smtp_host,
        port: forms.smtp_port,
        tls: forms.smtp_tls_mode()?,
        user,
        password,
        recipient,
        timeout: std::time::Duration::from_secs(forms.smtp_timeout_seconds),
    })?;
    Ok(Some(Arc::new(mailer)))
}
