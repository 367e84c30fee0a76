//! The company's PMS settings, shared by `/api/apartamentos/pms` (any user)
//! and `/api/perfil/integraciones/pms` (admins): the common fields, the save
//! (keys encrypted), and the PMS client they configure (original-api.md 6.4, 7.9).

use uuid::Uuid;

use crate::domain::validation::{Input, length_between, one_of_message};
use crate::features::shared::encrypt;
use crate::http::error::AppError;
use crate::http::state::AppState;
use crate::integrations::pms_factory::{Connected, FactoryError, PmsCredentials};
use crate::store::{PmsConfig, PmsSettings};

pub const PMS_PROVIDERS: &[&str] = &["smoobu", "beds24", "hostaway", "cloudbeds"];
const MSG_NOT_CONFIGURED: &str = "No hay configuración PMS. Guarda tu API key primero.";
const MSG_UNDECRYPTABLE: &str = "No se pudo descifrar la API key. Vuelve a configurarla.";

/// `proveedor`'s schema: one of `PMS_PROVIDERS`.
pub fn provider_schema() -> utoipa::openapi::Object {
    crate::features::shared::one_of_schema(PMS_PROVIDERS, false)
}

/// What a save asks for, once validated.
#[derive(Debug, Clone, PartialEq)]
pub struct PmsInput {
    pub provider: String,
    pub api_key: String,
    pub api_secret: Option<String>,
    /// `None`: keep the stored endpoint; `Some(None)`: clear it.
    pub endpoint: Option<Option<String>>,
}

impl PmsInput {
    /// Smoobu signs with a key and a secret; the web app has one field, so
    /// `KEY:SECRET` in it is read as the two.
    fn split_secret(mut self) -> Self {
        let wants_split = self.provider == "smoobu" && self.api_secret.is_none();
        let parts = self
            .api_key
            .split_once(':')
            .map(|(k, s)| (k.to_string(), s.to_string()));
        if let Some((key, secret)) =
            parts.filter(|(k, s)| wants_split && !k.is_empty() && !s.is_empty())
        {
            self.api_key = key;
            self.api_secret = Some(secret);
        }
        self
    }
}

/// Reads `proveedor`, `api_key` (1-500) and our optional `api_secret` (≤500).
pub fn read_common(
    input: &mut Input,
    trim: bool,
) -> (Option<String>, Option<String>, Option<Option<String>>) {
    let provider = input.string("proveedor", true);
    if provider
        .as_deref()
        .is_some_and(|p| !PMS_PROVIDERS.contains(&p))
    {
        input.error("proveedor", one_of_message(PMS_PROVIDERS));
    }
    let key = input
        .string("api_key", true)
        .map(|k| if trim { k.trim().to_string() } else { k });
    if key
        .as_ref()
        .is_some_and(|k| !(1..=500).contains(&k.chars().count()))
    {
        input.error("api_key", length_between(1, 500));
    }
    let secret = input
        .nullable_string("api_secret")
        .map(|s| s.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()));
    if secret
        .as_ref()
        .and_then(|s| s.as_ref())
        .is_some_and(|s| s.chars().count() > 500)
    {
        input.error("api_secret", "Longer than maximum length 500.");
    }
    (provider, key, secret)
}

/// Encrypts and stores the settings of `company_id`.
pub async fn save(
    state: &AppState,
    company_id: Uuid,
    input: PmsInput,
) -> Result<PmsConfig, AppError> {
    let input = input.split_secret();
    let api_key_encrypted = encrypt(state, &input.api_key)?;
    let api_secret_encrypted = match &input.api_secret {
        Some(secret) => Some(encrypt(state, secret)?),
        None => None,
    };
    let settings = PmsSettings {
        provider: input.provider.clone(),
        api_key_encrypted,
        api_secret_encrypted,
        endpoint: input.endpoint,
    };
    let saved = state.store.save_pms_config(company_id, settings).await?;
    tracing::info!(%company_id, provider = %input.provider, "PMS settings saved");
    Ok(saved)
}

/// Why a company's PMS client could not be built; each route words it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PmsSetupError {
    /// No settings, or no key.
    NotConfigured,
    /// The key or secret does not decrypt with this `FERNET_KEY`.
    Undecryptable,
    /// The stored endpoint breaks the endpoint rules: the rule's message.
    Endpoint(&'static str),
    /// A provider without a client (hostaway, cloudbeds).
    Unsupported(String),
}

/// The client of the company's configured PMS.
pub fn connect(state: &AppState, config: Option<PmsConfig>) -> Result<Connected, PmsSetupError> {
    let config = config
        .filter(|c| {
            c.api_key_encrypted
                .as_deref()
                .is_some_and(|k| !k.is_empty())
        })
        .ok_or(PmsSetupError::NotConfigured)?;
    let decrypt = |value: &str| {
        state
            .cipher
            .decrypt(value)
            .map_err(|_| PmsSetupError::Undecryptable)
    };
    let key = decrypt(config.api_key_encrypted.as_deref().unwrap_or_default())?;
    let secret = match config
        .api_secret_encrypted
        .as_deref()
        .filter(|s| !s.is_empty())
    {
        Some(secret) => Some(decrypt(secret)?),
        None => None,
    };
    let credentials = PmsCredentials {
        provider: config.provider,
        key,
        secret,
        endpoint: config.endpoint,
    };
    state.pms.client(credentials).map_err(|err| match err {
        FactoryError::Endpoint(message) => PmsSetupError::Endpoint(message),
        FactoryError::Unsupported(provider) => PmsSetupError::Unsupported(provider),
    })
}

/// The client of the company's configured PMS, or the original's 400s.
pub fn client_for(state: &AppState, config: Option<PmsConfig>) -> Result<Connected, AppError> {
    connect(state, config).map_err(|err| match err {
        PmsSetupError::NotConfigured => AppError::bad_request(MSG_NOT_CONFIGURED),
        PmsSetupError::Undecryptable => AppError::bad_request(MSG_UNDECRYPTABLE),
        PmsSetupError::Endpoint(message) => AppError::bad_request(message),
        PmsSetupError::Unsupported(provider) => {
            AppError::bad_request(format!("El proveedor '{provider}' aún no está soportado."))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoobu_key_and_secret_in_one_field_are_split() {
        let input = PmsInput {
            provider: "smoobu".into(),
            api_key: "KEY:SECRET".into(),
            api_secret: None,
            endpoint: None,
        };
        let split = input.clone().split_secret();
        assert_eq!(
            (split.api_key.as_str(), split.api_secret.as_deref()),
            ("KEY", Some("SECRET"))
        );
        let beds = PmsInput {
            provider: "beds24".into(),
            ..input.clone()
        }
        .split_secret();
        assert_eq!(beds.api_key, "KEY:SECRET", "only Smoobu keys are split");
        let explicit = PmsInput {
            api_secret: Some("S2".into()),
            ..input
        }
        .split_secret();
        assert_eq!(
            (explicit.api_key.as_str(), explicit.api_secret.as_deref()),
            ("KEY:SECRET", Some("S2"))
        );
    }
}
