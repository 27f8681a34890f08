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

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use apigate_core::config::DeploymentConfig;
use apigate_core::limits::{PlanBucket, Throttle, UsageLimits};
use apigate_core::Api;

use crate::error::{GatewayError, ResponseType};
use memory::MemoryStore;
use shared::RedisStore;

/// A token bucket's identity. The numbers are slots ([`Names`]): stable for a name (a
/// method's `GET /pets`, a key's id, a plan's name) across reloads, so a reloaded API keeps
/// its counters even when its methods are numbered differently.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BucketId {
    /// The stage's bucket for a method.
    Method(u32),
    /// A key's plan-wide bucket.
    Plan { plan: u32, key: u32 },
    /// A key's bucket for one method of its plan.
    PlanMethod { plan: u32, key: u32, method: u32 },
}

/// A key's quota counter in a plan (slots, as [`BucketId`]).
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

/// What is counted, by slot: each distinct name (a method as `GET /pets`, a key by its id, a
/// plan by its name) gets the next slot the first time it is seen and keeps it for the
/// process's life. Redis stores limits under the names, so gateways serving the same
/// definition and config share them.
#[derive(Debug, Clone, Default)]
pub struct Names {
    slots: std::collections::HashMap<(Kind, String), u32>,
    names: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Method,
    Key,
    Plan,
}

impl Names {
    fn slot(&mut self, kind: Kind, name: &str) -> u32 {
        if let Some(slot) = self.slots.get(&(kind, name.to_string())) {
            return *slot;
        }
        let slot = u32::try_from(self.names.len()).unwrap_or(u32::MAX);
        self.names.push(name.to_string());
        self.slots.insert((kind, name.to_string()), slot);
        slot
    }

    /// The name of `slot` (`?` for a slot not handed out).
    pub fn name(&self, slot: u32) -> &str {
        usize::try_from(slot)
            .ok()
            .and_then(|i| self.names.get(i))
            .map_or("?", String::as_str)
    }
}

/// Where counters live.
#[derive(Debug)]
enum Store {
    Memory(MemoryStore),
    Redis(Box<RedisStore>),
}

/// What outlives a reload: the store, the slots, and each plan's first quota period.
#[derive(Debug)]
struct Counters {
    store: Store,
    names: Mutex<Names>,
    /// Per plan name: the quota period its `Offset` applies to (the first one).
    first_periods: Mutex<HashMap<String, u64>>,
}

/// The API keys, usage plans and throttling of the served stage, and their counters.
#[derive(Debug)]
pub struct Limits {
    pub usage: UsageLimits,
    /// The config file they were resolved from (again on reload, for the new API).
    config: Arc<DeploymentConfig>,
    counters: Arc<Counters>,
    /// The slot of each method (route index), key (key index) and plan (plan index).
    method_slots: Vec<u32>,
    key_slots: Vec<u32>,
    plan_slots: Vec<u32>,
    /// Per plan index: its first quota period (`u64::MAX`: no quota).
    first_periods: Vec<u64>,
    /// Put before each method's name (`pets:`): several APIs' methods count apart while
    /// their keys and plans count together.
    scope: String,
    /// Slot → name, as of this gateway's making (it covers every slot above).
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
            config: Arc::new(DeploymentConfig::default()),
            counters: Arc::new(Counters::new(Store::Memory(MemoryStore::default()))),
            method_slots: Vec::new(),
            key_slots: Vec::new(),
            plan_slots: Vec::new(),
            first_periods: Vec::new(),
            names: Names::default(),
            scope: String::new(),
        }
    }
}

impl Counters {
    fn new(store: Store) -> Counters {
        Counters {
            store,
            names: Mutex::new(Names::default()),
            first_periods: Mutex::new(HashMap::new()),
        }
    }
}

impl Limits {
    /// `usage` (resolved from `config` for `api`), counted in this process.
    pub fn in_process(api: &Api, config: DeploymentConfig, usage: UsageLimits) -> Limits {
        let counters = Counters::new(Store::Memory(MemoryStore::default()));
        Limits::with_counters(api, Arc::new(config), usage, Arc::new(counters), "")
    }

    /// `usage` (resolved from `config` for `api`), counted in the Redis at `url` under
    /// `namespace` (the API and stage: gateways that serve the same share them). Connects
    /// once to agree on each quota's first period (the first gateway to start sets it); a
    /// Redis that cannot be reached is logged and the gateway starts anyway (see
    /// [`shared`]).
    pub async fn shared(
        api: &Api,
        config: DeploymentConfig,
        usage: UsageLimits,
        url: &str,
        namespace: &str,
    ) -> Result<Limits, String> {
        let store = RedisStore::new(url, format!("apigate:{namespace}:"))?;
        store.ping().await;
        let now = unix_secs();
        let mut agreed = HashMap::new();
        for plan in &usage.plans {
            if let Some(q) = plan.quota {
                let current = period::index(q.period, now);
                let key = format!("plan:{}:first-quota-period", plan.name);
                let first = store.set_once(&key, current).await.unwrap_or(current);
                agreed.insert(plan.name.clone(), first);
            }
        }
        let counters = Counters::new(Store::Redis(Box::new(store)));
        lock(&counters.first_periods).extend(agreed);
        Ok(Limits::with_counters(
            api,
            Arc::new(config),
            usage,
            Arc::new(counters),
            "",
        ))
    }

    /// The limits of the same config for `api` served on `stage` (a reload): resolved again
    /// (route indexes change with the definition), the counters carried on, and each key's
    /// value kept (a generated one is not generated again).
    pub fn reloaded(&self, api: &Api, stage: Option<&str>) -> Limits {
        self.reconfigured(api, self.config.clone(), stage, &self.scope.clone())
    }

    /// The limits of `config` for `api` on `stage` (a reload of the config file): the
    /// counters of the buckets, keys and plans that keep their names carry on, and a key
    /// named as before without a `Value` keeps the value it was generated.
    /// `scope` names the API when several are served (empty for one): its methods' counters
    /// are its own, its keys' and plans' shared.
    pub fn reconfigured(
        &self,
        api: &Api,
        config: Arc<DeploymentConfig>,
        stage: Option<&str>,
        scope: &str,
    ) -> Limits {
        let usage = UsageLimits::resolve(api, &config, stage, &mut |name| {
            self.usage.keys.iter().find(|k| k.name == name).map_or_else(
                || uuid::Uuid::new_v4().simple().to_string(),
                |k| k.value.clone(),
            )
        });
        Limits::with_counters(api, config, usage, self.counters.clone(), scope)
    }

    /// What [`Limits::reconfigured`] was given as `scope`.
    pub fn scope(&self) -> &str {
        &self.scope
    }

    /// The config file the limits were resolved from.
    pub fn config(&self) -> &Arc<DeploymentConfig> {
        &self.config
    }

    fn with_counters(
        api: &Api,
        config: Arc<DeploymentConfig>,
        usage: UsageLimits,
        counters: Arc<Counters>,
        scope: &str,
    ) -> Limits {
        let now = unix_secs();
        let (method_slots, key_slots, plan_slots, names) = {
            let mut names = lock(&counters.names);
            let methods = api
                .routes
                .indexed_methods()
                .map(|(_, m)| {
                    names.slot(
                        Kind::Method,
                        &format!("{scope}{} {}", m.verb.as_str(), m.resource_path),
                    )
                })
                .collect();
            let keys = usage
                .keys
                .iter()
                .map(|k| names.slot(Kind::Key, &k.id))
                .collect();
            let plans = usage
                .plans
                .iter()
                .map(|p| names.slot(Kind::Plan, &p.name))
                .collect();
            (methods, keys, plans, names.clone())
        };
        let first_periods = {
            let mut firsts = lock(&counters.first_periods);
            usage
                .plans
                .iter()
                .map(|p| match p.quota {
                    Some(q) => *firsts
                        .entry(p.name.clone())
                        .or_insert_with(|| period::index(q.period, now)),
                    None => u64::MAX,
                })
                .collect()
        };
        Limits {
            usage,
            config,
            counters,
            method_slots,
            key_slots,
            plan_slots,
            first_periods,
            names,
            scope: scope.to_string(),
        }
    }

    /// Whether the store reaches Redis (always true in-process).
    pub async fn reachable(&self) -> bool {
        match &self.counters.store {
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
        let verdict = match &self.counters.store {
            Store::Memory(m) => m.charge(&charge),
            Store::Redis(r) => r.charge(&charge, &self.names).await,
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
        let method = *self.method_slots.get(route)?;
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
                let key_slot = *self.key_slots.get(key)?;
                let plan_slot = *self.plan_slots.get(plan)?;
                let bucket = self.usage.plan_bucket(plan, route).map(|b| match b {
                    PlanBucket::Plan(t) => (
                        BucketId::Plan {
                            plan: plan_slot,
                            key: key_slot,
                        },
                        t,
                    ),
                    PlanBucket::Method(_, t) => (
                        BucketId::PlanMethod {
                            plan: plan_slot,
                            key: key_slot,
                            method,
                        },
                        t,
                    ),
                });
                let quota = self.usage.plans.get(plan).and_then(|p| p.quota).map(|q| {
                    let period = period::index(q.period, now);
                    let first = self.first_periods.get(plan).copied().unwrap_or(u64::MAX);
                    QuotaCharge {
                        id: QuotaId {
                            plan: plan_slot,
                            key: key_slot,
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
        let n = |slot| self.names.name(slot);
        match id {
            BucketId::Method(m) => format!(
                "Exceeded throttle limit: the stage's throttle of {} ({throttle})",
                n(m)
            ),
            BucketId::Plan { plan, key } => format!(
                "Exceeded throttle limit: usage plan {} for API key {} ({throttle})",
                n(plan),
                n(key)
            ),
            BucketId::PlanMethod { plan, key, method } => format!(
                "Exceeded throttle limit: usage plan {} for API key {} on {} ({throttle})",
                n(plan),
                n(key),
                n(method)
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
        let plan = self.usage.plans.get(plan).map_or("?", |p| p.name.as_str());
        let key = self.usage.keys.get(key).map_or("?", |k| k.id.as_str());
        format!("Exceeded quota limit: usage plan {plan} for API key {key}{quota}")
    }
}

/// A lock whose holder cannot leave its data inconsistent (every update is one insert):
/// used even when poisoned.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Seconds since the Unix epoch, now.
fn unix_secs() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
