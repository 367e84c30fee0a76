//! Text completion for the vault's improve and translate actions: one small
//! client per provider (OpenAI chat completions, Gemini `generateContent`,
//! Anthropic messages) behind one trait, on the shared outbound client of
//! `http.rs` (size cap, address rules, one TLS stack).
//!
//! Why no multi-provider crate: `genai` 0.7 (reqwest 0.13, takes our own
//! client) and `rig-core` 0.44 both enable serde_json's `preserve_order`, and
//! cargo unifies features across the build, so every `json!` body of the API
//! would come out in insertion order instead of the sorted keys the original
//! answers with. They also bring a dozen crates for three POSTs (genai even
//! tokio's `test-util` as a normal dependency). `async-openai` speaks OpenAI
//! only.
//!
//! The original (LiteLLM) sends one call, no retries, 55 s timeout; the
//! handlers map [`AiError`]: `RateLimited` to 429, `Timeout` to 504, `Failed`
//! to 502. No error text ever holds the API key, and nothing here logs.

pub mod anthropic;
pub mod gemini;
pub mod models;
pub mod openai;

use std::time::Duration;

use async_trait::async_trait;
use reqwest::header::{HeaderName, HeaderValue};
use serde_json::Value;
use url::Url;

use crate::integrations::http::{Outbound, OutboundError};

pub use models::{AiKind, AiProvider, ModelRoute, route_model};

/// The timeout of the original's calls.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(55);

/// One completion: a system prompt and one user message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completion {
    /// The bare model id the provider knows (see [`route_model`]).
    pub model: String,
    pub system: String,
    pub user: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompletionOutput {
    /// The answer's text, trimmed; never empty.
    pub text: String,
    /// Prompt plus answer tokens, when the provider says.
    pub total_tokens: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AiError {
    /// The provider answered HTTP 429.
    #[error("the AI provider is rate limiting (HTTP 429)")]
    RateLimited,
    /// Our timeout elapsed before the whole answer arrived.
    #[error("the AI provider did not answer in time")]
    Timeout,
    /// Anything else: refused key, unknown model, 5xx, network, an answer
    /// without text. The text never holds the key.
    #[error("AI provider call failed: {0}")]
    Failed(String),
}

impl AiError {
    /// A `Failed` whose text has the key, if any, blanked out.
    pub fn failed(text: impl Into<String>, key: Option<&str>) -> Self {
        AiError::Failed(redact(&text.into(), key))
    }

    fn from_outbound(err: OutboundError, key: Option<&str>) -> Self {
        match err {
            OutboundError::Status(429) => AiError::RateLimited,
            OutboundError::Timeout => AiError::Timeout,
            other => AiError::failed(other.to_string(), key),
        }
    }
}

/// Replaces every occurrence of the key (defence in depth: no message built
/// here should contain it, but error texts come from other crates too).
pub fn redact(text: &str, key: Option<&str>) -> String {
    match key {
        Some(key) if !key.is_empty() => text.replace(key, "***"),
        _ => text.to_string(),
    }
}

#[async_trait]
pub trait AiClient: Send + Sync {
    async fn complete(&self, request: &Completion) -> Result<CompletionOutput, AiError>;
}

/// What every provider client holds. No `Debug`: it carries the key.
#[derive(Clone)]
pub(crate) struct Connection {
    pub http: Outbound,
    pub base: Url,
    pub key: Option<String>,
    pub timeout: Duration,
}

impl Connection {
    /// `base` with `segments` appended, each percent-encoded (a model name
    /// cannot add path segments or a query).
    pub fn endpoint(&self, segments: &[&str]) -> Result<Url, AiError> {
        let mut url = self.base.clone();
        url.path_segments_mut()
            .map_err(|()| AiError::failed(format!("unusable base URL {}", self.base), None))?
            .pop_if_empty()
            .extend(segments);
        Ok(url)
    }

    /// A header carrying the key, marked sensitive so no `Debug` shows it.
    pub fn secret_header(&self, text: &str) -> Result<HeaderValue, AiError> {
        let mut value = HeaderValue::from_str(text)
            .map_err(|_| AiError::Failed("the API key is not a valid header value".into()))?;
        value.set_sensitive(true);
        Ok(value)
    }

    /// Posts `body` and reads the JSON answer within the timeout, with every
    /// failure classified.
    pub async fn post_json(
        &self,
        provider: &'static str,
        url: Url,
        headers: Vec<(HeaderName, HeaderValue)>,
        body: &Value,
    ) -> Result<Value, AiError> {
        let key = self.key.as_deref();
        let mut request = self
            .http
            .request(reqwest::Method::POST, url)
            .map_err(|e| AiError::from_outbound(e, key))?
            // Replaces the shared client's shorter total timeout: a completion
            // may legitimately take most of ours.
            .timeout(self.timeout)
            .json(body);
        for (name, value) in headers {
            request = request.header(name, value);
        }
        // Also bounds reading the body, whatever reqwest counts.
        match tokio::time::timeout(self.timeout, self.http.send_json(provider, request)).await {
            Err(_) => {
                crate::metrics::metrics().outbound(provider, "timeout");
                Err(AiError::Timeout)
            }
            Ok(answer) => answer.map_err(|e| AiError::from_outbound(e, key)),
        }
    }
}

/// The output from the answer's text parts: trimmed, and an error if empty.
pub(crate) fn output(text: &str, total_tokens: Option<i64>) -> Result<CompletionOutput, AiError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(AiError::Failed("the answer has no text".into()));
    }
    Ok(CompletionOutput {
        text: text.to_string(),
        total_tokens,
    })
}

/// The system providers' base URLs (operator configuration).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AiEndpoints {
    pub openai: Url,
    pub gemini: Url,
    pub anthropic: Url,
}

impl AiEndpoints {
    /// Each given base (e.g. `OPENAI_API_BASE`) or, when absent or blank,
    /// the provider's public API.
    pub fn from_settings(
        openai: Option<&str>,
        gemini: Option<&str>,
        anthropic: Option<&str>,
    ) -> Result<Self, url::ParseError> {
        let pick = |given: Option<&str>, default: &str| {
            Url::parse(
                given
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .unwrap_or(default),
            )
        };
        Ok(AiEndpoints {
            openai: pick(openai, openai::DEFAULT_BASE_URL)?,
            gemini: pick(gemini, gemini::DEFAULT_BASE_URL)?,
            anthropic: pick(anthropic, anthropic::DEFAULT_BASE_URL)?,
        })
    }
}

/// Builds the client for a call: the handlers' only entry point.
#[derive(Clone)]
pub struct AiProviders {
    endpoints: AiEndpoints,
    timeout: Duration,
    /// For the configured providers' bases (may be private, e.g. a proxy).
    system_http: Outbound,
    /// For a company's own server: public addresses only.
    company_http: Outbound,
}

impl AiProviders {
    pub fn new(
        endpoints: AiEndpoints,
        timeout: Duration,
        system_http: Outbound,
        company_http: Outbound,
    ) -> Self {
        AiProviders {
            endpoints,
            timeout,
            system_http,
            company_http,
        }
    }

    /// A client for `kind`. `key` is sent only when non-empty (as the
    /// original passes it only when truthy). `company_base` is required for
    /// `OpenAiCompatible` and ignored otherwise.
    pub fn client(
        &self,
        kind: AiKind,
        key: Option<String>,
        company_base: Option<&Url>,
    ) -> Result<Box<dyn AiClient>, AiError> {
        let key = key.filter(|k| !k.is_empty());
        let connection = |http: &Outbound, base: &Url| Connection {
            http: http.clone(),
            base: base.clone(),
            key: key.clone(),
            timeout: self.timeout,
        };
        let client: Box<dyn AiClient> = match kind {
            AiKind::OpenAi => Box::new(openai::OpenAiClient::from_connection(connection(
                &self.system_http,
                &self.endpoints.openai,
            ))),
            AiKind::Gemini => Box::new(gemini::GeminiClient::from_connection(connection(
                &self.system_http,
                &self.endpoints.gemini,
            ))),
            AiKind::Anthropic => Box::new(anthropic::AnthropicClient::from_connection(connection(
                &self.system_http,
                &self.endpoints.anthropic,
            ))),
            AiKind::OpenAiCompatible => {
                let base = company_base.ok_or_else(|| {
                    AiError::Failed("openai_compatible needs the company's base URL".into())
                })?;
                Box::new(openai::OpenAiClient::from_connection(connection(
                    &self.company_http,
                    base,
                )))
            }
        };
        Ok(client)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn redaction_blanks_every_occurrence_of_the_key() {
        assert_eq!(
            redact("key sk-1 and sk-1 again", Some("sk-1")),
            "key *** and *** again"
        );
        assert_eq!(redact("nothing", Some("")), "nothing");
        assert_eq!(
            AiError::failed("bad sk-1", Some("sk-1")).to_string(),
            "AI provider call failed: bad ***"
        );
    }

    #[test]
    fn outbound_errors_are_classified() {
        let key = Some("k");
        assert_eq!(
            AiError::from_outbound(OutboundError::Status(429), key),
            AiError::RateLimited
        );
        assert_eq!(
            AiError::from_outbound(OutboundError::Timeout, key),
            AiError::Timeout
        );
        assert!(matches!(
            AiError::from_outbound(OutboundError::Status(401), key),
            AiError::Failed(_)
        ));
    }

    #[test]
    fn blank_answers_are_failures() {
        assert!(matches!(output(" \n ", Some(3)), Err(AiError::Failed(_))));
        assert_eq!(
            output("  hola \n", Some(3)),
            Ok(CompletionOutput {
                text: "hola".into(),
                total_tokens: Some(3)
            })
        );
    }

    #[test]
    fn endpoints_default_to_the_public_apis() {
        let endpoints = AiEndpoints::from_settings(Some(" "), None, Some("http://proxy:8080/a"));
        let endpoints = endpoints.unwrap();
        assert_eq!(endpoints.openai.as_str(), "https://api.openai.com/v1");
        assert_eq!(
            endpoints.gemini.as_str(),
            "https://generativelanguage.googleapis.com/"
        );
        assert_eq!(endpoints.anthropic.as_str(), "http://proxy:8080/a");
        assert!(AiEndpoints::from_settings(Some("not a url"), None, None).is_err());
    }
}
