//! Google OAuth 2.0 and the People API (v1) for a company's contacts: the
//! consent URL, the code exchange, refresh and revocation of tokens, the
//! account's existing contacts (for the dedupe), and batch creation
//! (`people:batchCreateContacts`, at most 200 per call), backing off on 429
//! as `Retry-After` says, a bounded number of times.

mod client;

use async_trait::async_trait;

use crate::integrations::http::OutboundError;

pub use client::GoogleClient;

/// The scope the service asks for (read and write contacts).
pub const CONTACTS_SCOPE: &str = "https://www.googleapis.com/auth/contacts";
/// Google's documented maximum of contacts per `batchCreateContacts`.
pub const MAX_BATCH: usize = 200;
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GoogleError {
    #[error("{0}")]
    Outbound(OutboundError),
    /// Google refused the refresh token or the code (`invalid_grant`): the
    /// user revoked the access, or it expired.
    #[error("invalid_grant")]
    InvalidGrant,
    /// A non-2xx answer: status and Google's message.
    #[error("HTTP {0}: {1}")]
    Status(u16, String),
    #[error("respuesta inesperada de Google: {0}")]
    Format(String),
}

impl From<OutboundError> for GoogleError {
    fn from(err: OutboundError) -> Self {
        GoogleError::Outbound(err)
    }
}

/// Tokens from the token endpoint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenGrant {
    pub access_token: String,
    /// Only on a code exchange with `access_type=offline`.
    pub refresh_token: Option<String>,
    pub expires_in: i64,
    pub scope: Option<String>,
}

/// A contact already in the account: its names and phone numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExistingContact {
    pub names: Vec<String>,
    pub phones: Vec<String>,
}

/// A contact to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    pub name: String,
    pub phone: String,
}

/// What one batch call did: how many were created, and the contacts Google
/// refused one by one (name and reason).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchOutcome {
    pub created: usize,
    pub refused: Vec<(String, String)>,
}

#[async_trait]
pub trait GoogleApi: Send + Sync {
    /// The consent page's URL for `state`.
    fn authorize_url(&self, state: &str) -> String;
    async fn exchange_code(&self, code: &str) -> Result<TokenGrant, GoogleError>;
    async fn refresh(&self, refresh_token: &str) -> Result<TokenGrant, GoogleError>;
    async fn revoke(&self, token: &str) -> Result<(), GoogleError>;
    /// Every contact of the account (all pages).
    async fn contacts(&self, access_token: &str) -> Result<Vec<ExistingContact>, GoogleError>;
    /// Creates up to `MAX_BATCH` contacts in one call.
    async fn create_contacts(
        &self,
        access_token: &str,
        contacts: &[NewContact],
    ) -> Result<BatchOutcome, GoogleError>;
}
