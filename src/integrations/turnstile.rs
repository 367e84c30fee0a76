//! Cloudflare Turnstile's siteverify (original-api.md 12.4): form fields
//! `secret`, `response`, `remoteip`; valid only when the JSON says
//! `"success": true`. Any error, non-2xx, bad JSON or a slow answer is a
//! refusal (fail closed).

use std::net::IpAddr;
use std::time::Duration;

use async_trait::async_trait;
use url::Url;

use crate::integrations::http::Outbound;

/// Checks a captcha token.
#[async_trait]
pub trait CaptchaVerifier: Send + Sync {
    /// True only when the provider confirmed the token in time.
    async fn verify(&self, token: &str, remote_ip: Option<IpAddr>) -> bool;
}

pub struct Turnstile {
    outbound: Outbound,
    url: Url,
    secret: String,
    timeout: Duration,
}

impl Turnstile {
    /// `url` is operator configuration (a local fake in tests), so private
    /// addresses are allowed.
    pub fn new(outbound: Outbound, url: Url, secret: Option<&str>, timeout: Duration) -> Turnstile {
        Turnstile {
            outbound,
            url,
            secret: secret.unwrap_or_default().trim().to_string(),
            timeout,
        }
    }
}

#[async_trait]
impl CaptchaVerifier for Turnstile {
    async fn verify(&self, token: &str, remote_ip: Option<IpAddr>) -> bool {
        let body = {
            let mut form = url::form_urlencoded::Serializer::new(String::new());
            form.append_pair("secret", &self.secret)
                .append_pair("response", token);
            if let Some(ip) = remote_ip {
                form.append_pair("remoteip", &ip.to_string());
            }
            form.finish()
        };
        let request = match self
            .outbound
            .request(reqwest::Method::POST, self.url.clone())
        {
            Ok(request) => request
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body)
                .timeout(self.timeout),
            Err(err) => {
                tracing::warn!(error = %err, "Turnstile URL refused");
                return false;
            }
        };
        let answer =
            tokio::time::timeout(self.timeout, self.outbound.send_json("turnstile", request)).await;
        match answer {
            Ok(Ok(body)) => {
                let success = body.get("success").and_then(|v| v.as_bool()) == Some(true);
                if !success {
                    tracing::info!(codes = %body.get("error-codes").cloned().unwrap_or_default(), "Turnstile refused the token");
                }
                success
            }
            Ok(Err(err)) => {
                tracing::warn!(error = %err, "Turnstile verification failed");
                false
            }
            Err(_) => {
                tracing::warn!("Turnstile did not answer in time");
                false
            }
        }
    }
}
