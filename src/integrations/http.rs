//! The outbound HTTP client every integration shares: explicit connect and
//! total timeouts, a cap on response size, redirects only within the same
//! host, and (unless allowed) no connection to a private or loopback address,
//! checked on the addresses a name resolves to (DNS can point anywhere).

use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Once};
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use url::{Host, Url};

use crate::domain::endpoint::is_public_ip;
use crate::metrics::metrics;

pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const TOTAL_TIMEOUT: Duration = Duration::from_secs(15);
/// Largest response body read from a third party.
pub const MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// One process-wide TLS provider (ring), installed before any client is built.
pub fn install_crypto_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OutboundError {
    #[error("destination not allowed: {0}")]
    Forbidden(String),
    #[error("connection failed: {0}")]
    Connection(String),
    #[error("timed out")]
    Timeout,
    #[error("HTTP {0}")]
    Status(u16),
    #[error("response larger than {MAX_RESPONSE_BYTES} bytes")]
    TooLarge,
    #[error("unreadable response: {0}")]
    Decode(String),
}

/// Resolves names with the system resolver and drops non-public addresses.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        Box::pin(async move {
            let host = name.as_str().to_string();
            let found: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                found.into_iter().filter(|a| is_public_ip(a.ip())).collect();
            if public.is_empty() {
                return Err(format!("{host} resolves to no public address").into());
            }
            let addrs: Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

#[derive(Clone)]
pub struct Outbound {
    client: reqwest::Client,
    allow_private: bool,
}

impl Outbound {
    pub fn new(allow_private: bool) -> Result<Self, OutboundError> {
        install_crypto_provider();
        let mut builder = reqwest::Client::builder()
            // A system proxy would resolve names itself, past our address check.
            .no_proxy()
            .connect_timeout(CONNECT_TIMEOUT)
            .timeout(TOTAL_TIMEOUT)
            .redirect(reqwest::redirect::Policy::custom(|attempt| {
                let same_host = attempt.previous().first().map(|u| u.host_str())
                    == Some(attempt.url().host_str());
                if same_host && attempt.previous().len() < 3 {
                    attempt.follow()
                } else {
                    attempt.stop()
                }
            }))
            .user_agent(concat!("stay-sidekick/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        let client = builder
            .build()
            .map_err(|e| OutboundError::Connection(e.to_string()))?;
        Ok(Outbound {
            client,
            allow_private,
        })
    }

    /// Refuses an IP-literal URL pointing at a private address (names are
    /// checked by the resolver when connecting).
    pub fn check_url(&self, url: &Url) -> Result<(), OutboundError> {
        if self.allow_private {
            return Ok(());
        }
        let literal = match url.host() {
            Some(Host::Ipv4(ip)) => Some(IpAddr::V4(ip)),
            Some(Host::Ipv6(ip)) => Some(IpAddr::V6(ip)),
            Some(Host::Domain(_)) => None,
            None => return Err(OutboundError::Forbidden(url.to_string())),
        };
        match literal {
            Some(ip) if !is_public_ip(ip) => Err(OutboundError::Forbidden(ip.to_string())),
            _ => Ok(()),
        }
    }

    pub fn request(
        &self,
        method: reqwest::Method,
        url: Url,
    ) -> Result<reqwest::RequestBuilder, OutboundError> {
        self.check_url(&url)?;
        Ok(self.client.request(method, url))
    }

    /// Sends, requires a 2xx, and reads the body up to the size cap.
    /// `provider` names the third party in the outbound-call metrics.
    pub async fn send_json(
        &self,
        provider: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<serde_json::Value, OutboundError> {
        let result = read_capped(request).await.and_then(|answer| {
            if !(200..300).contains(&answer.status) {
                return Err(OutboundError::Status(answer.status));
            }
            serde_json::from_slice(&answer.body).map_err(|e| OutboundError::Decode(e.to_string()))
        });
        metrics().outbound(
            provider,
            match &result {
                Ok(_) => "ok",
                Err(err) => error_label(err),
            },
        );
        result
    }

    /// Sends and reads the body up to the size cap, whatever the status
    /// (for APIs whose error bodies or `Retry-After` matter).
    pub async fn send_capped(
        &self,
        provider: &'static str,
        request: reqwest::RequestBuilder,
    ) -> Result<RawAnswer, OutboundError> {
        let result = read_capped(request).await;
        let label = match &result {
            Ok(answer) if (200..300).contains(&answer.status) => "ok",
            Ok(answer) => error_label(&OutboundError::Status(answer.status)),
            Err(err) => error_label(err),
        };
        metrics().outbound(provider, label);
        result
    }
}

async fn read_capped(request: reqwest::RequestBuilder) -> Result<RawAnswer, OutboundError> {
    let mut response = request.send().await.map_err(map_error)?;
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get(reqwest::header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if response
        .content_length()
        .is_some_and(|n| n > MAX_RESPONSE_BYTES as u64)
    {
        return Err(OutboundError::TooLarge);
    }
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(map_error)? {
        if body.len() + chunk.len() > MAX_RESPONSE_BYTES {
            return Err(OutboundError::TooLarge);
        }
        body.extend_from_slice(&chunk);
    }
    Ok(RawAnswer {
        status,
        retry_after,
        body,
    })
}

/// The metrics label of a failed call.
fn error_label(err: &OutboundError) -> &'static str {
    match err {
        OutboundError::Status(code) if *code < 500 => "status_4xx",
        OutboundError::Status(_) => "status_5xx",
        OutboundError::Timeout => "timeout",
        OutboundError::Connection(_) => "connection",
        OutboundError::TooLarge => "too_large",
        OutboundError::Decode(_) => "decode",
        OutboundError::Forbidden(_) => "forbidden",
    }
}

/// A response read whole: status, `Retry-After` in seconds, body.
#[derive(Debug, Clone)]
pub struct RawAnswer {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub body: Vec<u8>,
}

fn map_error(err: reqwest::Error) -> OutboundError {
    if err.is_timeout() {
        OutboundError::Timeout
    } else {
        // The chain names the cause (refused, DNS, TLS) without secrets.
        let mut text = err.to_string();
        let mut source = std::error::Error::source(&err);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        OutboundError::Connection(text)
    }
}
