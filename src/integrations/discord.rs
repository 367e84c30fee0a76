//! Discord webhooks (original-api.md 12.5): POST the embed JSON; any 2xx
//! (Discord answers 204) is delivered. Timeout 5 s.

use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use url::Url;

use crate::integrations::http::Outbound;

const TIMEOUT: Duration = Duration::from_secs(5);

/// Posts a payload to a webhook URL.
#[async_trait]
pub trait WebhookSender: Send + Sync {
    async fn post(&self, url: &str, payload: &Value) -> Result<(), String>;
}

pub struct Discord {
    outbound: Outbound,
}

impl Discord {
    /// The webhook URLs are operator configuration: private addresses allowed.
    pub fn new(outbound: Outbound) -> Discord {
        Discord { outbound }
    }
}

#[async_trait]
impl WebhookSender for Discord {
    async fn post(&self, url: &str, payload: &Value) -> Result<(), String> {
        let url = Url::parse(url).map_err(|e| format!("webhook URL: {e}"))?;
        let request = self
            .outbound
            .request(reqwest::Method::POST, url)
            .map_err(|e| e.to_string())?
            .json(payload)
            .timeout(TIMEOUT);
        let (outcome, result) = match tokio::time::timeout(TIMEOUT, request.send()).await {
            Err(_) => ("timeout", Err("timeout".to_string())),
            Ok(Err(e)) if e.is_timeout() => ("timeout", Err("timeout".to_string())),
            Ok(Err(_)) => ("connection", Err("connection failed".to_string())),
            Ok(Ok(response)) if response.status().is_success() => ("ok", Ok(())),
            Ok(Ok(response)) => {
                let code = response.status().as_u16();
                let outcome = if code < 500 {
                    "status_4xx"
                } else {
                    "status_5xx"
                };
                (outcome, Err(format!("HTTP {code}")))
            }
        };
        crate::metrics::metrics().outbound("discord", outcome);
        result
    }
}
