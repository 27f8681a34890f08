//! The throttle stage (docs/SEMANTICS.md §16): after the API key, a request takes a token
//! from its method's stage bucket (`MethodSettings`) and, when it came with a key, from the
//! key's usage-plan bucket (the plan's per-method throttle, else its plan-wide one), and
//! counts toward the key's quota — all or nothing. No token → 429 `Too Many Requests`
//! (THROTTLED); quota spent → 429 `Limit Exceeded` (QUOTA_EXCEEDED).
//!
//! Which limits apply to which method was resolved when the gateway started
//! ([`apigate_core::limits::UsageLimits`]); here a request only indexes tables and charges a
//! store: in-process ([`memory`], the default) or Redis ([`shared`], `--state`), shared by
//! every gateway pointed at it.

pub mod bucket;
pub mod memory;
pub mod period;
pub mod shared;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::SystemTime;

use apigate_core::limits::{PlanBucket, Throttle, UsageLimits};
use apigate_core::Api;

use crate::error::{GatewayError, ResponseType};
use memory::MemoryStore;
use shared::RedisStore;

/// A token bucket's identity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BucketId {
    /// The stage's bucket for a method (its route index).
    Method(u32),
    /// A key's plan-wide bucket.
    Plan { plan: u32, key: u32 },
    /// A key's bucket for one method of its plan.
    PlanMethod { plan: u32, key: u32, method: u32 },
}

/// A key's quota counter in a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuotaId {
    pub plan: u32,
    pub key: u32,
}

/// A request's quota: at most `limit` in period number `period`, which starts at `start`
/// used (the plan's `Offset` in its first period) and ends in `ttl_secs`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaCharge {
    pub id: QuotaId,
    pub limit: u64,
    pub start: u64,
    pub period: u64,
    pub ttl_secs: u64,
}

/// What one request takes: a token from each bucket (the stage's, the plan's), one from
/// its quota.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Charge {
    pub buckets: [Option<(BucketId, Throttle)>; 2],
    pub quota: Option<QuotaCharge>,
}

/// A store's answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    Admitted,
    Throttled(BucketId),
    OverQuota,
}

/// The names limits are stored under in Redis (stable across gateways serving the same
/// definition and config): methods as `GET /pets`, keys by id, plans by name.
#[derive(Debug, Clone, Default)]
pub struct Names {
    methods: Vec<String>,
    keys: Vec<String>,
    plans: Vec<String>,
}

impl Names {
    pub fn of(api: &Api, usage: &UsageLimits) -> Names {
        Names {
            methods: api
                .routes
                .indexed()
                .map(|(_, m)| format!("{} {}", m.verb.as_str(), m.resource_path))
                .collect(),
            keys: usage.keys.iter().map(|k| k.id.clone()).collect(),
            plans: usage.plans.iter().map(|p| p.name.clone()).collect(),
        }
    }

    fn method(&self, i: u32) -> &str {
        name(&self.methods, i)
    }

    fn key(&self, i: u32) -> &str {
        name(&self.keys, i)
    }

    fn plan(&self, i: u32) -> &str {
        name(&self.plans, i)
    }
}

fn name(list: &[String], i: u32) -> &str {
    usize::try_from(i)
        .ok()
        .and_then(|i| list.get(i))
        .map_or("?", String::as_str)
}

/// Where counters live.
#[derive(Debug)]
enum Store {
    Memory(MemoryStore),
    Redis(Box<RedisStore>),
}

/// The API keys, usage plans and throttling of the served stage, and their counters.
#[derive(Debug)]
pub struct Limits {
    pub usage: UsageLimits,
    store: Store,
    /// Per plan: the quota period its `Offset` applies to (the first one), `u64::MAX` when
    /// not known (no offset then).
    first_periods: Vec<AtomicU64>,
    names: Names,
}

/// A caller identified by an API key: which key, in which usage plan (indexes into
/// [`UsageLimits`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Client {
    pub key: usize,
    pub plan: usize,
}

impl Default for Limits {
    /// No keys, no plans, no throttling.
    fn default() -> Self {
        Limits {
            usage: UsageLimits::default(),
            store: Store::Memory(MemoryStore::default()),
            first_periods: Vec::new(),
            names: Names::default(),
        }
    }
}

impl Limits {
    /// Counters in this process.
    pub fn in_process(api: &Api, usage: UsageLimits) -> Limits {
        let now = unix_secs();
        let first_periods = usage
            .plans
            .iter()
            .map(|p| AtomicU64::new(p.quota.map_or(u64::MAX, |q| period::index(q.period, now))))
            .collect();
        let names = Names::of(api, &usage);
        Limits {
            usage,
            store: Store::Memory(MemoryStore::default()),
            first_periods,
            names,
        }
    }

    /// Counters in the Redis at `url`, under `namespace` (the API and stage: gateways that
    /// serve the same share them). Connects once to learn each quota's first period (the
    /// first gateway to start sets it); a Redis that cannot be reached is logged and the
    /// gateway starts anyway (see [`shared`]).
    pub async fn shared(
        api: &Api,
        usage: UsageLimits,
        url: &str,
        namespace: &str,
    ) -> Result<Limits, String> {
        let local = Limits::in_process(api, usage);
        let prefix = format!("apigate:{namespace}:");
        let store = RedisStore::new(url, prefix, local.names.clone())?;
        store.ping().await;
        for (plan, first) in local.usage.plans.iter().zip(&local.first_periods) {
            let current = first.load(Ordering::Relaxed);
            if current == u64::MAX {
                continue;
            }
            let agreed = store
                .set_once(&format!("plan:{}:first-quota-period", plan.name), current)
                .await
                .unwrap_or(current);
            first.store(agreed, Ordering::Relaxed);
        }
        Ok(Limits {
            store: Store::Redis(Box::new(store)),
            ..local
        })
    }

    /// Whether the store reaches Redis (always true in-process).
    pub async fn reachable(&self) -> bool {
        match &self.store {
            Store::Memory(_) => true,
            Store::Redis(r) => r.ping().await,
        }
    }

    /// The throttle stage for the method at `route`, called by `client` (a key-required
    /// method's caller) or anyone (`None`).
    pub async fn admit(&self, route: usize, client: Option<Client>) -> Result<(), GatewayError> {
        let Some(charge) = self.charge_for(route, client, unix_secs()) else {
            return Ok(());
        };
        let verdict = match &self.store {
            Store::Memory(m) => m.charge(&charge),
            Store::Redis(r) => r.charge(&charge).await,
        };
        match verdict {
            Verdict::Admitted => Ok(()),
            Verdict::Throttled(id) => Err(GatewayError::new(
                ResponseType::Throttled,
                self.describe(id, &charge),
            )),
            Verdict::OverQuota => Err(GatewayError::new(
                ResponseType::QuotaExceeded,
                self.describe_quota(client),
            )),
        }
    }

    /// What a request to `route` by `client` takes at `now` (Unix seconds); `None` when no
    /// limit applies.
    fn charge_for(&self, route: usize, client: Option<Client>, now: u64) -> Option<Charge> {
        let method = u32::try_from(route).ok()?;
        let stage = self
            .usage
            .stage
            .get(route)
            .copied()
            .flatten()
            .map(|t| (BucketId::Method(method), t));
        let (plan_bucket, quota) = match client {
            None => (None, None),
            Some(Client { key, plan }) => {
                let key32 = u32::try_from(key).ok()?;
                let plan32 = u32::try_from(plan).ok()?;
                let bucket = self.usage.plan_bucket(plan, route).map(|b| match b {
                    PlanBucket::Plan(t) => (
                        BucketId::Plan {
                            plan: plan32,
                            key: key32,
                        },
                        t,
                    ),
                    PlanBucket::Method(_, t) => (
                        BucketId::PlanMethod {
                            plan: plan32,
                            key: key32,
                            method,
                        },
                        t,
                    ),
                });
                let quota = self.usage.plans.get(plan).and_then(|p| p.quota).map(|q| {
                    let period = period::index(q.period, now);
                    let first = self
                        .first_periods
                        .get(plan)
                        .map_or(u64::MAX, |f| f.load(Ordering::Relaxed));
                    QuotaCharge {
                        id: QuotaId {
                            plan: plan32,
                            key: key32,
                        },
                        limit: q.limit,
                        start: if period == first { q.offset } else { 0 },
                        period,
                        ttl_secs: period::seconds_left(q.period, now),
                    }
                });
                (bucket, quota)
            }
        };
        if stage.is_none() && plan_bucket.is_none() && quota.is_none() {
            return None;
        }
        Some(Charge {
            buckets: [stage, plan_bucket],
            quota,
        })
    }

    /// The log's words for a throttled request.
    fn describe(&self, id: BucketId, charge: &Charge) -> String {
        let throttle = charge
            .buckets
            .iter()
            .flatten()
            .find(|(b, _)| *b == id)
            .map(|(_, t)| format!("rate {}/s, burst {}", t.rate, t.burst))
            .unwrap_or_default();
        match id {
            BucketId::Method(m) => format!(
                "Exceeded throttle limit: the stage's throttle of {} ({throttle})",
                self.names.method(m)
            ),
            BucketId::Plan { plan, key } => format!(
                "Exceeded throttle limit: usage plan {} for API key {} ({throttle})",
                self.names.plan(plan),
                self.names.key(key)
            ),
            BucketId::PlanMethod { plan, key, method } => format!(
                "Exceeded throttle limit: usage plan {} for API key {} on {} ({throttle})",
                self.names.plan(plan),
                self.names.key(key),
                self.names.method(method)
            ),
        }
    }

    fn describe_quota(&self, client: Option<Client>) -> String {
        let Some(Client { key, plan }) = client else {
            return "Exceeded quota limit".into();
        };
        let quota = self
            .usage
            .plans
            .get(plan)
            .and_then(|p| p.quota)
            .map(|q| format!(" ({} per {})", q.limit, q.period.as_str()))
            .unwrap_or_default();
        format!(
            "Exceeded quota limit: usage plan {} for API key {}{quota}",
            self.names.plan(u32::try_from(plan).unwrap_or(u32::MAX)),
            self.names.key(u32::try_from(key).unwrap_or(u32::MAX))
        )
    }
}

/// Seconds since the Unix epoch, now.
fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
