//! `GoogleApi` on Google's endpoints (or those the settings name), on the
//! shared outbound client: form-encoded token calls, JSON People calls, the
//! bounded wait-and-retry on 429/503.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::{Value, json};
use url::Url;

use super::{
    BatchOutcome, CONTACTS_SCOPE, ExistingContact, GoogleApi, GoogleError, MAX_BATCH, NewContact,
    TokenGrant,
};
use crate::config::GoogleSettings;
use crate::integrations::http::{Outbound, OutboundError, RawAnswer};

/// The original's timeout for every Google call.
const TIMEOUT: Duration = Duration::from_secs(20);
/// Retries of one call answered 429 (or 503), then the error stands.
const MAX_RETRIES: u32 = 3;
/// The longest wait taken from a `Retry-After`.
const MAX_WAIT: Duration = Duration::from_secs(30);
/// Contacts read per page of `people/me/connections` (Google's maximum).
const PAGE_SIZE: u32 = 1000;
/// Pages read at most (a million contacts) before giving up.
const MAX_PAGES: u32 = 1000;

/// The client on Google's real endpoints (or those the settings name).
pub struct GoogleClient {
    outbound: Outbound,
    settings: GoogleSettings,
    /// The base of a wait from `Retry-After` (seconds); tests use 1.
    wait_unit: Duration,
}

const FORM: &str = "application/x-www-form-urlencoded";

fn form_body(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

fn parse_url(text: &str) -> Result<Url, GoogleError> {
    Url::parse(text).map_err(|e| GoogleError::Format(format!("URL {text:?}: {e}")))
}

fn json_body(answer: &RawAnswer) -> Value {
    serde_json::from_slice(&answer.body).unwrap_or(Value::Null)
}

/// Google's error text: OAuth's `error`/`error_description` or the API's
/// `error.message`.
fn error_text(body: &Value) -> String {
    if let Some(message) = body.pointer("/error/message").and_then(Value::as_str) {
        return message.to_string();
    }
    match (
        body.get("error").and_then(Value::as_str),
        body.get("error_description").and_then(Value::as_str),
    ) {
        (Some(e), Some(d)) => format!("{e}: {d}"),
        (Some(e), None) => e.to_string(),
        _ => String::new(),
    }
}

fn grant_of(body: &Value) -> Result<TokenGrant, GoogleError> {
    Ok(TokenGrant {
        access_token: body
            .get("access_token")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string(),
        refresh_token: body
            .get("refresh_token")
            .and_then(Value::as_str)
            .filter(|t| !t.is_empty())
            .map(str::to_string),
        expires_in: body
            .get("expires_in")
            .and_then(Value::as_i64)
            .filter(|n| *n > 0)
            .unwrap_or(3600),
        scope: body
            .get("scope")
            .and_then(Value::as_str)
            .map(str::to_string),
    })
}

fn strings(person: &Value, list: &str, fields: &[&str]) -> Vec<String> {
    person
        .get(list)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .flat_map(|item| {
            fields
                .iter()
                .filter_map(|f| item.get(*f).and_then(Value::as_str))
                .map(str::to_string)
                .collect::<Vec<_>>()
        })
        .collect()
}

impl GoogleClient {
    pub fn new(outbound: Outbound, settings: GoogleSettings) -> Self {
        GoogleClient {
            outbound,
            settings,
            wait_unit: Duration::from_secs(1),
        }
    }

    /// A client whose `Retry-After` waits are scaled to `unit` per second
    /// (tests).
    pub fn with_wait_unit(mut self, unit: Duration) -> Self {
        self.wait_unit = unit;
        self
    }

    fn people(&self, path: &str) -> Result<Url, GoogleError> {
        parse_url(&format!(
            "{}/{path}",
            self.settings.people_url.trim_end_matches('/')
        ))
    }

    /// One call, sent again after the wait Google asks for on 429 or 503.
    async fn send(
        &self,
        build: impl Fn() -> Result<reqwest::RequestBuilder, OutboundError>,
    ) -> Result<RawAnswer, GoogleError> {
        let mut attempt = 0;
        loop {
            let answer = self
                .outbound
                .send_capped("google", build()?.timeout(TIMEOUT))
                .await?;
            if !matches!(answer.status, 429 | 503) || attempt >= MAX_RETRIES {
                return Ok(answer);
            }
            let seconds = answer.retry_after.unwrap_or(1u64 << attempt);
            let wait = self
                .wait_unit
                .saturating_mul(u32::try_from(seconds).unwrap_or(u32::MAX))
                .min(MAX_WAIT);
            tracing::info!(
                status = answer.status,
                wait_ms = wait.as_millis() as u64,
                "Google asked to slow down"
            );
            tokio::time::sleep(wait).await;
            attempt += 1;
        }
    }

    async fn token_call(&self, form: &[(&str, &str)]) -> Result<TokenGrant, GoogleError> {
        let url = parse_url(&self.settings.token_url)?;
        let answer = self
            .send(|| {
                Ok(self
                    .outbound
                    .request(reqwest::Method::POST, url.clone())?
                    .header(reqwest::header::CONTENT_TYPE, FORM)
                    .body(form_body(form)))
            })
            .await?;
        let body = json_body(&answer);
        if (200..300).contains(&answer.status) {
            return grant_of(&body);
        }
        if body.get("error").and_then(Value::as_str) == Some("invalid_grant") {
            return Err(GoogleError::InvalidGrant);
        }
        Err(GoogleError::Status(answer.status, error_text(&body)))
    }

    fn ok_json(answer: RawAnswer) -> Result<Value, GoogleError> {
        let body = json_body(&answer);
        if (200..300).contains(&answer.status) {
            Ok(body)
        } else {
            Err(GoogleError::Status(answer.status, error_text(&body)))
        }
    }
}

#[async_trait]
impl GoogleApi for GoogleClient {
    fn authorize_url(&self, state: &str) -> String {
        let query = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("client_id", &self.settings.client_id)
            .append_pair("redirect_uri", &self.settings.redirect_uri)
            .append_pair("response_type", "code")
            .append_pair("scope", CONTACTS_SCOPE)
            .append_pair("access_type", "offline")
            .append_pair("prompt", "consent")
            .append_pair("state", state)
            .finish();
        format!("{}?{query}", self.settings.oauth_url)
    }

    async fn exchange_code(&self, code: &str) -> Result<TokenGrant, GoogleError> {
        self.token_call(&[
            ("code", code),
            ("client_id", &self.settings.client_id),
            ("client_secret", &self.settings.client_secret),
            ("redirect_uri", &self.settings.redirect_uri),
            ("grant_type", "authorization_code"),
        ])
        .await
    }

    async fn refresh(&self, refresh_token: &str) -> Result<TokenGrant, GoogleError> {
        self.token_call(&[
            ("grant_type", "refresh_token"),
            ("refresh_token", refresh_token),
            ("client_id", &self.settings.client_id),
            ("client_secret", &self.settings.client_secret),
        ])
        .await
    }

    async fn revoke(&self, token: &str) -> Result<(), GoogleError> {
        let url = parse_url(&self.settings.revoke_url)?;
        let answer = self
            .send(|| {
                Ok(self
                    .outbound
                    .request(reqwest::Method::POST, url.clone())?
                    .header(reqwest::header::CONTENT_TYPE, FORM)
                    .body(form_body(&[("token", token)])))
            })
            .await?;
        Self::ok_json(answer).map(|_| ())
    }

    async fn contacts(&self, access_token: &str) -> Result<Vec<ExistingContact>, GoogleError> {
        let mut out = Vec::new();
        let mut page_token: Option<String> = None;
        for _ in 0..MAX_PAGES {
            let mut url = self.people("people/me/connections")?;
            {
                let mut query = url.query_pairs_mut();
                query
                    .append_pair("personFields", "names,phoneNumbers")
                    .append_pair("pageSize", &PAGE_SIZE.to_string());
                if let Some(token) = &page_token {
                    query.append_pair("pageToken", token);
                }
            }
            let answer = self
                .send(|| {
                    Ok(self
                        .outbound
                        .request(reqwest::Method::GET, url.clone())?
                        .bearer_auth(access_token))
                })
                .await?;
            let body = Self::ok_json(answer)?;
            for person in body
                .get("connections")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                out.push(ExistingContact {
                    names: strings(
                        person,
                        "names",
                        &["givenName", "displayName", "unstructuredName"],
                    ),
                    phones: strings(person, "phoneNumbers", &["value", "canonicalForm"]),
                });
            }
            page_token = body
                .get("nextPageToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
                .map(str::to_string);
            if page_token.is_none() {
                return Ok(out);
            }
        }
        Err(GoogleError::Format(
            "demasiadas páginas de contactos".into(),
        ))
    }

    async fn create_contacts(
        &self,
        access_token: &str,
        contacts: &[NewContact],
    ) -> Result<BatchOutcome, GoogleError> {
        if contacts.is_empty() {
            return Ok(BatchOutcome::default());
        }
        if contacts.len() > MAX_BATCH {
            return Err(GoogleError::Format(format!(
                "{} contactos en un lote (máximo {MAX_BATCH})",
                contacts.len()
            )));
        }
        let url = self.people("people:batchCreateContacts")?;
        let body = json!({
            "contacts": contacts.iter().map(|c| json!({
                "contactPerson": {
                    "names": [{"givenName": c.name}],
                    "phoneNumbers": [{"value": c.phone}],
                }
            })).collect::<Vec<_>>(),
            "readMask": "names,phoneNumbers",
        });
        let answer = self
            .send(|| {
                Ok(self
                    .outbound
                    .request(reqwest::Method::POST, url.clone())?
                    .bearer_auth(access_token)
                    .json(&body))
            })
            .await?;
        let answer = Self::ok_json(answer)?;
        let created = answer
            .get("createdPeople")
            .and_then(Value::as_array)
            .ok_or_else(|| GoogleError::Format("sin createdPeople".into()))?;
        let mut outcome = BatchOutcome::default();
        for (i, result) in created.iter().enumerate() {
            let status = result
                .get("httpStatusCode")
                .and_then(Value::as_i64)
                .unwrap_or(200);
            let code = result
                .pointer("/status/code")
                .and_then(Value::as_i64)
                .unwrap_or(0);
            if (200..300).contains(&status) && code == 0 {
                outcome.created += 1;
            } else {
                let name = contacts.get(i).map(|c| c.name.clone()).unwrap_or_default();
                let reason = result
                    .pointer("/status/message")
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("HTTP {status}"));
                outcome.refused.push((name, reason));
            }
        }
        Ok(outcome)
    }
}
