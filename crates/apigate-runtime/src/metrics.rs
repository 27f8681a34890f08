//! The gateway's Prometheus metrics (`prometheus-client`), exposed as OpenMetrics text on the
//! admin listener's `/metrics`.
//!
//! | metric | labels | what |
//! |---|---|---|
//! | `apigate_requests_total` | stage, method, resource, status | method responses, gateway responses included |
//! | `apigate_request_duration_seconds` | stage, method, resource | arrival to the response's last byte (`$context.responseLatency`) |
//! | `apigate_integration_duration_seconds` | stage, method, resource | endpoint request sent to the endpoint response's head (`$context.integrationLatency`) |
//! | `apigate_integration_errors_total` | type | failed integrations by gateway-response type (`INTEGRATION_TIMEOUT`, `INTEGRATION_FAILURE`, …) |
//! | `apigate_requests_in_flight` | | requests whose response has not ended |
//! | `apigate_request_bytes_total`, `apigate_response_bytes_total` | | body bytes read and sent |
//! | `apigate_throttled_total`, `apigate_quota_exceeded_total` | | `THROTTLED` and `QUOTA_EXCEEDED` gateway responses |
//! | `apigate_authorizer_cache_hits_total`, `…_misses_total` | | Lambda authorizer results served from the cache, and calls made |
//! | `apigate_reloads_total`, `apigate_reload_failures_total` | | definition reloads applied, and refused (the last good API kept) |
//! | `apigate_access_log_dropped_lines_total` | | access-log lines dropped because the writer fell behind |
//!
//! `method` and `resource` are the routed method's verb and resource path as written
//! (`/pets/{id}`); a request no method serves has `resource=""` and its verb (`OTHER` for a
//! verb API Gateway does not know), so clients cannot grow the label space.
//!
//! Per request the cost is a few atomic additions and one histogram observation per
//! histogram: the label sets are built once per method when an API is loaded
//! ([`RouteMetrics`]), and each method keeps the handles of its series once they exist, so
//! no label is allocated or hashed on the request path (a method answering more than
//! [`STATUS_SLOTS`] distinct statuses looks the rest up in the family).

use apigate_core::model::Api;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::{Family, MetricConstructor};
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Latency buckets, in seconds: 1 ms to 30 s (API Gateway's integration timeout is at most
/// 29 s).
const LATENCY_BUCKETS: [f64; 14] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

/// Statuses whose counter handle a method keeps; more distinct statuses on one method are
/// looked up in the family.
pub const STATUS_SLOTS: usize = 8;

#[derive(Debug, Clone, Copy, Default)]
struct LatencyHistogram;

impl MetricConstructor<Histogram> for LatencyHistogram {
    fn new_metric(&self) -> Histogram {
        Histogram::new(LATENCY_BUCKETS)
    }
}

/// A method's labels: shared texts, so a label set is cloned without allocating.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RouteLabels {
    stage: Arc<str>,
    method: Arc<str>,
    resource: Arc<str>,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabels {
    stage: Arc<str>,
    method: Arc<str>,
    resource: Arc<str>,
    status: u16,
}

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ErrorLabels {
    r#type: &'static str,
}

/// Every metric, registered once; shared by every API the process loads (reloads keep the
/// counts).
#[derive(Debug)]
pub struct Metrics {
    registry: Registry,
    requests: Family<StatusLabels, Counter>,
    duration: Family<RouteLabels, Histogram, LatencyHistogram>,
    integration_duration: Family<RouteLabels, Histogram, LatencyHistogram>,
    integration_errors: Family<ErrorLabels, Counter>,
    pub in_flight: Gauge,
    pub request_bytes: Counter,
    pub response_bytes: Counter,
    pub throttled: Counter,
    pub quota_exceeded: Counter,
    pub authorizer_cache_hits: Counter,
    pub authorizer_cache_misses: Counter,
    pub reloads: Counter,
    pub reload_failures: Counter,
    pub access_log_dropped: Counter,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let mut registry = Registry::with_prefix("apigate");
        let requests = Family::<StatusLabels, Counter>::default();
        let duration = Family::new_with_constructor(LatencyHistogram);
        let integration_duration = Family::new_with_constructor(LatencyHistogram);
        let integration_errors = Family::<ErrorLabels, Counter>::default();
        let metrics = Metrics {
            requests,
            duration,
            integration_duration,
            integration_errors,
            in_flight: Gauge::default(),
            request_bytes: Counter::default(),
            response_bytes: Counter::default(),
            throttled: Counter::default(),
            quota_exceeded: Counter::default(),
            authorizer_cache_hits: Counter::default(),
            authorizer_cache_misses: Counter::default(),
            reloads: Counter::default(),
            reload_failures: Counter::default(),
            access_log_dropped: Counter::default(),
            registry: Registry::default(),
        };
        registry.register(
            "requests",
            "Requests answered, by stage, method, resource path (as written) and status",
            metrics.requests.clone(),
        );
        registry.register_with_unit(
            "request_duration",
            "From a request's arrival to its response's last byte ($context.responseLatency)",
            Unit::Seconds,
            metrics.duration.clone(),
        );
        registry.register_with_unit(
            "integration_duration",
            "From the endpoint request sent to the endpoint response's head ($context.integrationLatency)",
            Unit::Seconds,
            metrics.integration_duration.clone(),
        );
        registry.register(
            "integration_errors",
            "Failed integrations by gateway-response type",
            metrics.integration_errors.clone(),
        );
        registry.register(
            "requests_in_flight",
            "Requests whose response has not ended",
            metrics.in_flight.clone(),
        );
        registry.register_with_unit(
            "request",
            "Request body bytes read",
            Unit::Bytes,
            metrics.request_bytes.clone(),
        );
        registry.register_with_unit(
            "response",
            "Response body bytes sent",
            Unit::Bytes,
            metrics.response_bytes.clone(),
        );
        let counters = [
            (
                "throttled",
                "Requests answered with the THROTTLED gateway response (429)",
                &metrics.throttled,
            ),
            (
                "quota_exceeded",
                "Requests answered with the QUOTA_EXCEEDED gateway response (429)",
                &metrics.quota_exceeded,
            ),
            (
                "authorizer_cache_hits",
                "Lambda authorizer results served from the authorizer cache",
                &metrics.authorizer_cache_hits,
            ),
            (
                "authorizer_cache_misses",
                "Lambda authorizer calls made (no cached result)",
                &metrics.authorizer_cache_misses,
            ),
            ("reloads", "Definition reloads applied", &metrics.reloads),
            (
                "reload_failures",
                "Definition reloads refused (invalid definition or unreadable file; the last good API kept serving)",
                &metrics.reload_failures,
            ),
            (
                "access_log_dropped_lines",
                "Access-log lines dropped because the writer fell behind",
                &metrics.access_log_dropped,
            ),
        ];
        for (name, help, counter) in counters {
            registry.register(name, help, counter.clone());
        }
        Metrics {
            registry,
            ..metrics
        }
    }

    /// The OpenMetrics text exposition (`application/openmetrics-text; version=1.0.0`).
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) = prometheus_client::encoding::text::encode(&mut out, &self.registry) {
            tracing::warn!(error = %e, "encoding the metrics");
        }
        out
    }

    /// A failed integration of gateway-response type `kind`.
    pub fn integration_error(&self, kind: &'static str) {
        self.integration_errors
            .get_or_create(&ErrorLabels { r#type: kind })
            .inc();
    }
}

/// One method's label set and the handles of its series, resolved when the API is loaded
/// (the handles when a series first gets a value, so an idle method shows no series).
#[derive(Debug)]
pub struct RouteMetrics {
    labels: RouteLabels,
    statuses: [OnceLock<(u16, Counter)>; STATUS_SLOTS],
    duration: OnceLock<Histogram>,
    integration: OnceLock<Histogram>,
}

impl RouteMetrics {
    fn new(stage: &Arc<str>, method: Arc<str>, resource: Arc<str>) -> RouteMetrics {
        RouteMetrics {
            labels: RouteLabels {
                stage: stage.clone(),
                method,
                resource,
            },
            statuses: Default::default(),
            duration: OnceLock::new(),
            integration: OnceLock::new(),
        }
    }

    /// Counts one response with `status`.
    pub fn request(&self, metrics: &Metrics, status: u16) {
        for slot in &self.statuses {
            let (s, counter) = slot.get_or_init(|| (status, self.status_counter(metrics, status)));
            if *s == status {
                counter.inc();
                return;
            }
        }
        self.status_counter(metrics, status).inc();
    }

    fn status_counter(&self, metrics: &Metrics, status: u16) -> Counter {
        metrics.requests.get_or_create_owned(&StatusLabels {
            stage: self.labels.stage.clone(),
            method: self.labels.method.clone(),
            resource: self.labels.resource.clone(),
            status,
        })
    }

    /// The whole request's latency.
    pub fn duration(&self, metrics: &Metrics, latency: Duration) {
        self.duration
            .get_or_init(|| metrics.duration.get_or_create_owned(&self.labels))
            .observe(latency.as_secs_f64());
    }

    /// The integration's latency.
    pub fn integration(&self, metrics: &Metrics, latency: Duration) {
        self.integration
            .get_or_init(|| {
                metrics
                    .integration_duration
                    .get_or_create_owned(&self.labels)
            })
            .observe(latency.as_secs_f64());
    }
}

/// The verbs an unrouted request is counted under; anything else is `OTHER`.
const UNROUTED_VERBS: [&str; 8] = [
    "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS", "OTHER",
];

/// Every method's [`RouteMetrics`] (by route id) for one API, and those of unrouted
/// requests by verb.
#[derive(Debug)]
pub struct ApiMetrics {
    routes: Vec<RouteMetrics>,
    unrouted: Vec<RouteMetrics>,
}

impl ApiMetrics {
    /// The label sets of `api`'s methods, served under `stage` (empty: at `/`).
    pub fn new(api: &Api, stage: &str) -> ApiMetrics {
        let stage: Arc<str> = Arc::from(stage);
        let routes = api
            .routes
            .indexed_methods()
            .map(|(_, m)| {
                RouteMetrics::new(
                    &stage,
                    Arc::from(m.verb.as_str()),
                    Arc::from(m.resource_path.as_str()),
                )
            })
            .collect();
        let unrouted = UNROUTED_VERBS
            .iter()
            .map(|v| RouteMetrics::new(&stage, Arc::from(*v), Arc::from("")))
            .collect();
        ApiMetrics { routes, unrouted }
    }

    /// The method with route id `route`, else the unrouted entry for `verb`.
    pub fn route(&self, route: Option<usize>, verb: &str) -> Option<&RouteMetrics> {
        if let Some(r) = route.and_then(|id| self.routes.get(id)) {
            return Some(r);
        }
        let at = UNROUTED_VERBS
            .iter()
            .position(|v| *v == verb)
            .unwrap_or(UNROUTED_VERBS.len() - 1);
        self.unrouted.get(at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_route_counts_statuses_beyond_its_slots() {
        let metrics = Metrics::new();
        let stage: Arc<str> = Arc::from("dev");
        let route = RouteMetrics::new(&stage, Arc::from("GET"), Arc::from("/pets/{id}"));
        for status in 200..(200 + STATUS_SLOTS as u16 + 3) {
            route.request(&metrics, status);
            route.request(&metrics, status);
        }
        route.duration(&metrics, Duration::from_millis(3));
        metrics.integration_error("INTEGRATION_TIMEOUT");
        let text = metrics.encode();
        for status in 200..(200 + STATUS_SLOTS as u16 + 3) {
            let line = format!(
                "apigate_requests_total{{stage=\"dev\",method=\"GET\",resource=\"/pets/{{id}}\",status=\"{status}\"}} 2"
            );
            assert!(text.contains(&line), "{line} in\n{text}");
        }
        assert!(text.contains("apigate_request_duration_seconds_count{stage=\"dev\",method=\"GET\",resource=\"/pets/{id}\"} 1"), "{text}");
        assert!(
            text.contains("apigate_integration_errors_total{type=\"INTEGRATION_TIMEOUT\"} 1"),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
