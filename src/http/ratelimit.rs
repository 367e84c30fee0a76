//! Fixed-window rate limits per route and client IP (original-api.md 1.13),
//! with DECISIONS' fixes: counters in memory, or in Redis so several
//! instances enforce one limit together; `Retry-After` on 429; a generous
//! configurable default; `/api/health` never limited.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::{MatchedPath, Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::config::{Rate, Settings};
use crate::http::error::AppError;
use crate::http::extract::client_ip_of;
use crate::state::AppState;

/// Routes with a limit of their own (the original's explicit limits).
/// Every other route but health gets `RATE_LIMIT_DEFAULT`.
const EXPLICIT: &[(&str, &str, u32)] = &[
    ("POST", "/api/auth/login", 10),
    ("GET", "/api/csrf-token", 30),
    ("POST", "/api/contacto", 10),
    ("POST", "/api/apartamentos/sincronizacion/smoobu", 10),
    ("POST", "/api/apartamentos/importacion", 20),
    ("POST", "/api/apartamentos/importacion/preview", 30),
    ("POST", "/api/heatmap/xlsx", 30),
    ("POST", "/api/notificaciones/checkin-tardio/checkins", 20),
    ("POST", "/api/contactos/sincronizacion", 10),
    ("POST", "/api/contactos/exportacion/csv", 20),
    ("POST", "/api/contactos/xlsx/sincronizacion", 10),
    ("POST", "/api/contactos/xlsx/exportacion/csv", 20),
];

/// Paths never limited: health checks must always answer.
const UNLIMITED: &[&str] = &["/api/health"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Limited { retry_after: u64 },
}

enum Backend {
    Memory(Mutex<HashMap<String, (u64, u32)>>),
    Redis {
        manager: redis::aio::ConnectionManager,
        script: redis::Script,
    },
}

pub struct RateLimiter {
    enabled: bool,
    default: Rate,
    contact: Rate,
    backend: Backend,
}

/// Entries kept in memory before expired windows are swept.
const SWEEP_AT: usize = 50_000;

const INCR_SCRIPT: &str = r"
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end
return count
";

fn unix_now() -> Duration {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
}

impl RateLimiter {
    /// In memory, or in Redis when `REDIS_URL` is set (fails if it cannot connect).
    pub async fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        let default = Rate::parse(&settings.rate_limit_default)?;
        let contact = Rate::parse(&settings.rate_limit_contact)?;
        let backend = match settings
            .redis_url
            .as_deref()
            .filter(|u| !u.trim().is_empty())
        {
            Some(url) if settings.ratelimit_enabled => {
                let client = redis::Client::open(url)?;
                let manager = tokio::time::timeout(
                    Duration::from_secs(5),
                    redis::aio::ConnectionManager::new(client),
                )
                .await
                .map_err(|_| anyhow::anyhow!("REDIS_URL: no answer from Redis within 5 s"))??;
                tracing::info!("rate limits shared through Redis");
                Backend::Redis {
                    manager,
                    script: redis::Script::new(INCR_SCRIPT),
                }
            }
            _ => Backend::Memory(Mutex::new(HashMap::new())),
        };
        Ok(RateLimiter {
            enabled: settings.ratelimit_enabled,
            default,
            contact,
            backend,
        })
    }

    /// The rate of a route, or `None` when it is not limited.
    pub fn rate_for(&self, method: &Method, path: &str) -> Option<Rate> {
        if !self.enabled || UNLIMITED.contains(&path) {
            return None;
        }
        if method == Method::POST && path == "/api/contact" {
            return Some(self.contact);
        }
        let explicit = EXPLICIT
            .iter()
            .find(|(m, p, _)| *p == path && method.as_str() == *m);
        Some(
            explicit
                .map(|&(_, _, n)| Rate::per_hour(n))
                .unwrap_or(self.default),
        )
    }

    /// Counts one request of `key` and says whether it may go on.
    pub async fn hit(&self, key: &str, rate: Rate) -> Decision {
        let now = unix_now();
        let window = rate.window.as_secs().max(1);
        let index = now.as_secs() / window;
        let retry_after = (index + 1) * window - now.as_secs();
        let count = match &self.backend {
            Backend::Memory(map) => {
                let mut map = map.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
                if map.len() >= SWEEP_AT {
                    // Windows are at most a day; drop every entry of a past window.
                    map.retain(|_, (w, _)| *w >= index.saturating_sub(1));
                }
                let entry = map.entry(key.to_string()).or_insert((index, 0));
                if entry.0 != index {
                    *entry = (index, 0);
                }
                entry.1 = entry.1.saturating_add(1);
                entry.1
            }
            Backend::Redis { manager, script } => {
                let mut conn = manager.clone();
                let redis_key = format!("stay-sidekick:rl:{window}:{index}:{key}");
                let result: redis::RedisResult<u32> = script
                    .key(redis_key)
                    .arg(window * 1000 + 1000)
                    .invoke_async(&mut conn)
                    .await;
                match result {
                    Ok(count) => count,
                    Err(err) => {
                        // Failing open keeps the service usable when Redis is down.
                        tracing::warn!(error = %err, "rate limit store unreachable; request allowed");
                        return Decision::Allowed;
                    }
                }
            }
        };
        if count > rate.limit {
            Decision::Limited { retry_after }
        } else {
            Decision::Allowed
        }
    }
}

/// Middleware: counts every request of a limited route before anything else
/// (auth, CSRF, validation), as the original does.
pub async fn limit(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let path = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned());
    let Some(path) = path else {
        return next.run(request).await;
    };
    let Some(rate) = state.limiter.rate_for(request.method(), &path) else {
        return next.run(request).await;
    };
    let (parts, body) = request.into_parts();
    let ip = client_ip_of(&parts, &state.trusted_proxies);
    let key = format!("{} {path}|{ip}", parts.method);
    match state.limiter.hit(&key, rate).await {
        Decision::Allowed => next.run(Request::from_parts(parts, body)).await,
        Decision::Limited { retry_after } => {
            tracing::info!(route = %path, client = %ip, "rate limit exceeded");
            AppError::too_many_requests(retry_after).into_response()
        }
    }
}
