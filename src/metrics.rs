//! Process-wide Prometheus metrics (`GET /metrics`, see `http::metrics_route`).
//!
//! One registry per process, as Prometheus clients usually keep: any layer
//! records through `metrics()` without carrying a handle, and the figures of
//! several in-process instances (tests) add up. Recording is a hash lookup
//! under a read lock and an atomic add, cheap enough for every request.

use std::fmt::Write as _;
use std::hash::{Hash, Hasher};
use std::sync::LazyLock;
use std::time::Duration;

use axum::extract::MatchedPath;
use axum::http::Method;
use prometheus_client::encoding::{EncodeLabelSet, EncodeLabelValue, LabelValueEncoder};
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

/// Content type of the text this module renders (Prometheus text 0.0.4).
pub const CONTENT_TYPE: &str = prometheus_client::encoding::prometheus_text::CONTENT_TYPE;

/// A request's route template (`/api/usuarios/{usuario_id}`), never the raw
/// path: ids in paths would make one series per row. Cloning is an `Arc` clone.
#[derive(Clone, Debug)]
pub enum Route {
    Matched(MatchedPath),
    /// No route matched (the JSON 404).
    Unmatched,
    /// A file of WEB_ROOT (or its 404), whatever the path: one series for all.
    Static,
}

impl Route {
    pub fn as_str(&self) -> &str {
        match self {
            Route::Matched(path) => path.as_str(),
            Route::Unmatched => "unmatched",
            Route::Static => "static",
        }
    }
}

impl PartialEq for Route {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}
impl Eq for Route {}
impl Hash for Route {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}
impl EncodeLabelValue for Route {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct MethodLabel(pub Method);
impl EncodeLabelValue for MethodLabel {
    fn encode(&self, encoder: &mut LabelValueEncoder) -> Result<(), std::fmt::Error> {
        encoder.write_str(self.0.as_str())
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RequestLabels {
    method: MethodLabel,
    route: Route,
    status: u16,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct RouteLabels {
    method: MethodLabel,
    route: Route,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct OutboundLabels {
    provider: &'static str,
    outcome: &'static str,
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, EncodeLabelSet)]
struct SheetLabels {
    sheet: &'static str,
}

#[derive(Clone)]
struct Buckets(&'static [f64]);
impl MetricConstructor<Histogram> for Buckets {
    fn new_metric(&self) -> Histogram {
        Histogram::new(self.0.iter().copied())
    }
}

/// Request latency buckets, in seconds: from 0.1 ms (health) to 30 s (a
/// year-long PMS crawl).
const LATENCY_BUCKETS: &[f64] = &[
    0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
    5.0, 10.0, 30.0,
];

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram, Buckets>,
    rate_limited: Family<RouteLabels, Counter>,
    db_query_errors: Counter,
    db_pool_connections: Gauge,
    db_pool_idle: Gauge,
    bcrypt_queue: Gauge,
    outbound: Family<OutboundLabels, Counter>,
    rows_parsed: Family<SheetLabels, Counter>,
}

static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    &METRICS
}

impl Metrics {
    fn new() -> Self {
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::new_with_constructor(Buckets(LATENCY_BUCKETS));
        let rate_limited = Family::<RouteLabels, Counter>::default();
        let db_query_errors = Counter::default();
        let db_pool_connections = Gauge::default();
        let db_pool_idle = Gauge::default();
        let bcrypt_queue = Gauge::default();
        let outbound = Family::<OutboundLabels, Counter>::default();
        let rows_parsed = Family::<SheetLabels, Counter>::default();

        let mut registry = Registry::with_prefix("stay_sidekick");
        registry.register(
            "http_requests",
            "Requests answered, by method, route template and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "Time from the request's arrival to its answer, by method and route template",
            latency.clone(),
        );
        registry.register(
            "rate_limited_requests",
            "Requests refused with 429, by method and route template",
            rate_limited.clone(),
        );
        registry.register(
            "db_query_errors",
            "Database queries that failed (not a missing row or a constraint)",
            db_query_errors.clone(),
        );
        registry.register(
            "db_pool_connections",
            "Connections the database pool holds",
            db_pool_connections.clone(),
        );
        registry.register(
            "db_pool_idle_connections",
            "Connections of the pool waiting for work",
            db_pool_idle.clone(),
        );
        registry.register(
            "bcrypt_queue_depth",
            "Password hashes and checks waiting for or running on a hashing thread",
            bcrypt_queue.clone(),
        );
        registry.register(
            "outbound_calls",
            "Calls to third-party APIs, by provider and outcome",
            outbound.clone(),
        );
        registry.register(
            "spreadsheet_rows_parsed",
            "Data rows read from uploaded spreadsheets, by kind of sheet",
            rows_parsed.clone(),
        );
        Metrics {
            registry,
            requests,
            latency,
            rate_limited,
            db_query_errors,
            db_pool_connections,
            db_pool_idle,
            bcrypt_queue,
            outbound,
            rows_parsed,
        }
    }

    /// One answered request.
    pub fn request(&self, method: &Method, route: &Route, status: u16, elapsed: Duration) {
        let labels = RouteLabels {
            method: MethodLabel(method.clone()),
            route: route.clone(),
        };
        self.latency
            .get_or_create(&labels)
            .observe(elapsed.as_secs_f64());
        self.requests
            .get_or_create(&RequestLabels {
                method: labels.method,
                route: labels.route,
                status,
            })
            .inc();
    }

    pub fn rate_limited(&self, method: &Method, route: &Route) {
        self.rate_limited
            .get_or_create(&RouteLabels {
                method: MethodLabel(method.clone()),
                route: route.clone(),
            })
            .inc();
    }

    pub fn db_query_error(&self) {
        self.db_query_errors.inc();
    }

    /// The pool's state, set by the scrape itself (it changes too fast to push).
    pub fn set_db_pool(&self, connections: u32, idle: usize) {
        self.db_pool_connections.set(i64::from(connections));
        self.db_pool_idle
            .set(i64::try_from(idle).unwrap_or(i64::MAX));
    }

    /// A password job entered (`+1`) or left (`-1`) the hashing queue.
    pub fn bcrypt_queue_change(&self, delta: i64) {
        self.bcrypt_queue.inc_by(delta);
    }

    /// One call to a third party. `outcome`: `ok`, `status_4xx`, `status_5xx`,
    /// `timeout`, `connection`, `too_large`, `decode`, `forbidden`, or `error`
    /// (SMTP).
    pub fn outbound(&self, provider: &'static str, outcome: &'static str) {
        self.outbound
            .get_or_create(&OutboundLabels { provider, outcome })
            .inc();
    }

    /// Data rows read from one uploaded sheet (`apartments`, `heatmap`,
    /// `late_checkins`, `contacts`).
    pub fn rows_parsed(&self, sheet: &'static str, rows: usize) {
        self.rows_parsed
            .get_or_create(&SheetLabels { sheet })
            .inc_by(u64::try_from(rows).unwrap_or(u64::MAX));
    }

    /// Every metric in the Prometheus text format.
    pub fn render(&self) -> String {
        let mut text = String::with_capacity(16 * 1024);
        // Writing into a String cannot fail.
        let _ = prometheus_client::encoding::prometheus_text::encode(&mut text, &self.registry);
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rendered_text_carries_the_recorded_figures() {
        let metrics = Metrics::new();
        metrics.request(
            &Method::GET,
            &Route::Unmatched,
            404,
            Duration::from_millis(3),
        );
        metrics.outbound("smoobu", "timeout");
        metrics.rows_parsed("apartments", 160);
        metrics.bcrypt_queue_change(2);
        let text = metrics.render();
        assert!(text.contains(
            r#"stay_sidekick_http_requests_total{method="GET",route="unmatched",status="404"} 1"#
        ));
        assert!(text.contains(
            r#"stay_sidekick_http_request_duration_seconds_bucket{le="0.005",method="GET",route="unmatched"} 1"#
        ) || text.contains(
            r#"stay_sidekick_http_request_duration_seconds_bucket{method="GET",route="unmatched",le="0.005"} 1"#
        ));
        assert!(text.contains(
            r#"stay_sidekick_outbound_calls_total{provider="smoobu",outcome="timeout"} 1"#
        ));
        assert!(
            text.contains(r#"stay_sidekick_spreadsheet_rows_parsed_total{sheet="apartments"} 160"#)
        );
        assert!(text.contains("stay_sidekick_bcrypt_queue_depth 2"));
    }
}
