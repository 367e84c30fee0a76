//! Fixed-window rate limits per route and client IP (original-api.md 1.13),
//! with DECISIONS' fixes: counters in memory, or in Redis so several
//! instances enforce one limit together; `Retry-After` on 429; a generous
//! configurable default; `/api/health` never limited.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::Request;
use axum::http::Method;
use axum::response::{IntoResponse, Response};

use crate::config::{Rate, Settings};
use crate::http::client_ip::{TrustedProxies, client_ip_of};
use crate::http::error::AppError;
use crate::metrics::{Route, metrics};

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

/// Paths never limited: health checks and scrapes must always answer (the
/// scrape is for allowed clients only), and nginx's `auth_request` calls
/// validacion once for every proxied request.
pub const UNLIMITED: &[&str] = &["/api/health", "/api/auth/validacion", "/metrics"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allowed,
    Limited { retry_after: u64 },
}

/// In-memory counters: key -> (end of its window in Unix seconds, count).
struct MemoryCounters {
    entries: HashMap<String, (u64, u32)>,
    next_sweep: u64,
}

impl MemoryCounters {
    fn new() -> Mutex<Self> {
        Mutex::new(MemoryCounters {
            entries: HashMap::new(),
            next_sweep: 0,
        })
    }

    /// Counts one hit of `key` in the window ending at `end` (Unix seconds).
    fn hit(counters: &Mutex<Self>, key: &str, end: u64, now: u64) -> u32 {
        let mut counters = counters
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if counters.entries.len() >= SWEEP_AT && now >= counters.next_sweep {
            counters.entries.retain(|_, (end, _)| *end > now);
            counters.next_sweep = now + SWEEP_EVERY_SECONDS;
        }
        let entry = counters.entries.entry(key.to_string()).or_insert((end, 0));
        if entry.0 != end {
            *entry = (end, 0);
        }
        entry.1 = entry.1.saturating_add(1);
        entry.1
    }
}

enum Backend {
    Memory(Mutex<MemoryCounters>),
    Redis {
        manager: redis::aio::ConnectionManager,
        script: redis::Script,
        /// This instance's own counters while Redis does not answer: limits
        /// then hold per instance instead of not at all.
        fallback: Mutex<MemoryCounters>,
        /// Unix second of the last "Redis unreachable" warning (one per
        /// `WARN_EVERY_SECONDS`, not one per request).
        warned_at: AtomicU64,
    },
}

/// Longest wait for Redis before a request is counted locally instead.
const REDIS_TIMEOUT: Duration = Duration::from_millis(250);
const WARN_EVERY_SECONDS: u64 = 30;

pub struct RateLimiter {
    enabled: bool,
    default: Rate,
    contact: Rate,
    backend: Backend,
}

/// Entries kept in memory before expired windows are swept (at most once a
/// minute, so a flood of new clients cannot make every request sweep).
const SWEEP_AT: usize = 50_000;
const SWEEP_EVERY_SECONDS: u64 = 60;

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
                    fallback: MemoryCounters::new(),
                    warned_at: AtomicU64::new(0),
                }
            }
            _ => Backend::Memory(MemoryCounters::new()),
        };
        Ok(RateLimiter {
            enabled: settings.ratelimit_enabled,
            default,
            contact,
            backend,
        })
    }

    /// The rate of a route, or `None` when it is not limited. HEAD counts as GET.
    pub fn rate_for(&self, method: &Method, path: &str) -> Option<Rate> {
        if !self.enabled || UNLIMITED.contains(&path) {
            return None;
        }
        let method = if method == Method::HEAD {
            &Method::GET
        } else {
            method
        };
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
        let end = (index + 1) * window;
        let count = match &self.backend {
            Backend::Memory(counters) => MemoryCounters::hit(counters, key, end, now.as_secs()),
            Backend::Redis {
                manager,
                script,
                fallback,
                warned_at,
            } => {
                let mut conn = manager.clone();
                let redis_key = format!("stay-sidekick:rl:{window}:{index}:{key}");
                let mut invocation = script.key(redis_key);
                invocation.arg(window * 1000 + 1000);
                let result =
                    tokio::time::timeout(REDIS_TIMEOUT, invocation.invoke_async::<u32>(&mut conn))
                        .await;
                match result {
                    Ok(Ok(count)) => count,
                    failed => {
                        let now = now.as_secs();
                        let last = warned_at.load(Ordering::Relaxed);
                        if now >= last + WARN_EVERY_SECONDS
                            && warned_at
                                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                                .is_ok()
                        {
                            let error = match failed {
                                Ok(Err(err)) => err.to_string(),
                                _ => format!("no answer within {} ms", REDIS_TIMEOUT.as_millis()),
                            };
                            tracing::warn!(%error, "Redis unreachable: rate limits counted by this instance alone");
                        }
                        MemoryCounters::hit(fallback, key, end, now)
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

/// The counter a client address falls in: IPv4 addresses one by one, IPv6
/// by /64 (one host usually owns a whole /64).
fn client_bucket(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
        }
    }
}

/// What the edge middleware needs: the counters and who may forward a client's IP.
#[derive(Clone)]
pub struct RateGuard {
    pub limiter: Arc<RateLimiter>,
    pub trusted_proxies: TrustedProxies,
}

impl RateGuard {
    /// Counts the request when its route is limited, before anything else
    /// runs (auth, CSRF, validation), as the original does. Gives the request
    /// back to go on, or the 429 that refuses it.
    pub async fn check(&self, request: Request, route: &Route) -> Result<Request, Response> {
        let Route::Matched(path) = route else {
            return Ok(request);
        };
        let Some(rate) = self.limiter.rate_for(request.method(), path.as_str()) else {
            return Ok(request);
        };
        let (parts, body) = request.into_parts();
        let ip = client_ip_of(&parts, &self.trusted_proxies);
        let method = if parts.method == Method::HEAD {
            "GET"
        } else {
            parts.method.as_str()
        };
        let key = format!("{method} {}|{}", path.as_str(), client_bucket(ip));
        match self.limiter.hit(&key, rate).await {
            Decision::Allowed => Ok(Request::from_parts(parts, body)),
            Decision::Limited { retry_after } => {
                tracing::info!(route = path.as_str(), client = %ip, "rate limit exceeded");
                metrics().rate_limited(&parts.method, route);
                Err(AppError::too_many_requests(retry_after).into_response())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter() -> RateLimiter {
        RateLimiter {
            enabled: true,
            default: Rate::parse("600/minute").unwrap(),
            contact: Rate::per_hour(5),
            backend: Backend::Memory(MemoryCounters::new()),
        }
    }

    #[tokio::test]
    async fn sweeping_short_windows_keeps_long_window_counters() {
        let limiter = limiter();
        let login = Rate::per_hour(2);
        assert_eq!(limiter.hit("login|1.2.3.4", login).await, Decision::Allowed);
        assert_eq!(limiter.hit("login|1.2.3.4", login).await, Decision::Allowed);
        // Enough one-minute keys to trigger a sweep.
        let minute = Rate::parse("600/minute").unwrap();
        for i in 0..SWEEP_AT + 1 {
            limiter.hit(&format!("other|{i}"), minute).await;
        }
        assert!(matches!(
            limiter.hit("login|1.2.3.4", login).await,
            Decision::Limited { .. }
        ));
    }

    #[test]
    fn head_counts_as_get_and_health_and_validacion_are_free() {
        let limiter = limiter();
        assert_eq!(
            limiter.rate_for(&Method::HEAD, "/api/csrf-token"),
            Some(Rate::per_hour(30))
        );
        assert_eq!(limiter.rate_for(&Method::GET, "/api/health"), None);
        assert_eq!(limiter.rate_for(&Method::GET, "/api/auth/validacion"), None);
        assert_eq!(
            limiter.rate_for(&Method::POST, "/api/contact"),
            Some(Rate::per_hour(5))
        );
        assert_eq!(
            limiter.rate_for(&Method::GET, "/api/perfil"),
            Some(Rate::parse("600/minute").unwrap())
        );
    }

    #[test]
    fn ipv6_clients_share_a_counter_per_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_bucket(a), client_bucket(b));
        assert_ne!(client_bucket(a), client_bucket(c));
        assert_eq!(client_bucket("10.0.0.1".parse().unwrap()), "10.0.0.1");
    }
}
