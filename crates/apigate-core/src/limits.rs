//! API keys, usage plans and throttling resolved for one API served on one stage: which key
//! a value is, which plan it belongs to there, and which token buckets and quota apply to
//! each method — worked out once when the gateway starts, so a request only indexes tables.
//!
//! The rules (docs/SEMANTICS.md §16, docs/PARITY.md):
//! - a key is usable on a stage when it is enabled and in a usage plan whose `ApiStages`
//!   name the stage (one plan per key and stage);
//! - stage throttling (`MethodSettings`) is per method: `/*` `*` sets every method's
//!   default, a setting for one method overrides it field by field;
//! - a plan's throttle is per key across the plan's methods; a plan's per-method throttle
//!   (`ApiStages[].Throttle`) replaces it for that method, with a bucket of its own;
//! - a limit written without its rate or burst takes the missing one from the level above,
//!   else from AWS's account-level default (10,000 requests per second, burst 5,000).

use std::collections::HashMap;

pub use crate::config::Period;
use crate::config::{
    DeploymentConfig, MethodSelector, QuotaSettings, ThrottleSettings, UsagePlanConfig,
};
use crate::model::Api;

/// AWS's default account-level throttle (requests per second, burst): what a limit without
/// its rate or burst falls back to (developer guide, API Gateway quotas).
pub const ACCOUNT_RATE: f64 = 10_000.0;
pub const ACCOUNT_BURST: u32 = 5_000;

/// A token bucket's settings: `rate` tokens per second up to `burst`; a request takes one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Throttle {
    pub rate: f64,
    pub burst: u32,
}

impl Throttle {
    /// `settings` completed from `above` (the level it overrides), else the account default.
    fn from_settings(settings: &ThrottleSettings, above: Option<&Throttle>) -> Throttle {
        Throttle {
            rate: settings
                .rate_limit
                .or(above.map(|t| t.rate))
                .unwrap_or(ACCOUNT_RATE),
            burst: settings
                .burst_limit
                .or(above.map(|t| t.burst))
                .unwrap_or(ACCOUNT_BURST),
        }
    }
}

/// A quota: at most `limit` requests per key per `period`, `offset` of them already taken
/// in the quota's first period.
pub type Quota = QuotaSettings;

/// An API key, as the gateway knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKey {
    /// `$context.identity.apiKeyId`: derived from the name, so every gateway sharing limits
    /// and every restart gives the same id.
    pub id: String,
    pub name: String,
    pub value: String,
    /// The value was generated at start-up (the file gave none).
    pub generated: bool,
    pub enabled: bool,
    /// Its usage plan for the served stage (an index into [`UsageLimits::plans`]).
    pub plan: Option<usize>,
}

/// A usage plan that covers the served stage.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub name: String,
    /// Per key, for the plan's methods without a throttle of their own.
    pub throttle: Option<Throttle>,
    /// Per key and method (route index → throttle), from `ApiStages[].Throttle`.
    pub method_throttles: HashMap<usize, Throttle>,
    pub quota: Option<Quota>,
}

/// Which bucket a plan's throttle for a method is.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PlanBucket {
    /// The plan-wide bucket of the key.
    Plan(Throttle),
    /// The key's bucket for this method (the route index).
    Method(usize, Throttle),
}

/// What a presented key value is worth on the served stage.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum KeyCheck<'a> {
    Missing,
    Unknown,
    Disabled(&'a ApiKey),
    /// In no usage plan for the served stage.
    NoPlan(&'a ApiKey),
    /// `index` into [`UsageLimits::keys`], `plan` into [`UsageLimits::plans`].
    Valid {
        key: &'a ApiKey,
        index: usize,
        plan: usize,
    },
}

/// Everything resolved for one API on one stage.
#[derive(Debug, Clone, Default)]
pub struct UsageLimits {
    /// The stage's throttle per method (route index), from `MethodSettings`.
    pub stage: Vec<Option<Throttle>>,
    pub keys: Vec<ApiKey>,
    by_value: HashMap<String, usize>,
    /// The usage plans covering the served stage.
    pub plans: Vec<Plan>,
}

impl UsageLimits {
    /// Resolves `config` for `api` served on `stage`. `generate` makes a value for each key
    /// the file gives none (it gets the key's name).
    pub fn resolve(
        api: &Api,
        config: &DeploymentConfig,
        stage: Option<&str>,
        generate: &mut dyn FnMut(&str) -> String,
    ) -> UsageLimits {
        let stage_throttles = stage_throttles(api, config);
        let covering: Vec<&UsagePlanConfig> = config
            .usage_plans
            .iter()
            .filter(|p| stage.is_some_and(|s| p.api_stages.iter().any(|a| a.stage == s)))
            .collect();
        let plans: Vec<Plan> = covering
            .iter()
            .map(|p| plan(api, p, stage.unwrap_or_default()))
            .collect();
        let mut keys = Vec::with_capacity(config.api_keys.len());
        let mut by_value = HashMap::with_capacity(config.api_keys.len());
        let mut ids = std::collections::HashSet::new();
        for k in &config.api_keys {
            let (value, generated) = match &k.value {
                Some(v) => (v.clone(), false),
                None => (generate(&k.name), true),
            };
            let plan = covering
                .iter()
                .position(|p| p.api_keys.iter().any(|r| r.name == k.name));
            let mut id = key_id(&k.name, 0);
            let mut salt = 1;
            while !ids.insert(id.clone()) {
                id = key_id(&k.name, salt);
                salt += 1;
            }
            by_value.insert(value.clone(), keys.len());
            keys.push(ApiKey {
                id,
                name: k.name.clone(),
                value,
                generated,
                enabled: k.enabled,
                plan,
            });
        }
        UsageLimits {
            stage: stage_throttles,
            keys,
            by_value,
            plans,
        }
    }

    /// What the value a caller presented is worth.
    pub fn check_key(&self, presented: Option<&str>) -> KeyCheck<'_> {
        let Some(value) = presented.filter(|v| !v.is_empty()) else {
            return KeyCheck::Missing;
        };
        let Some((index, key)) = self
            .by_value
            .get(value)
            .and_then(|i| Some((*i, self.keys.get(*i)?)))
        else {
            return KeyCheck::Unknown;
        };
        if !key.enabled {
            return KeyCheck::Disabled(key);
        }
        match key.plan {
            Some(plan) => KeyCheck::Valid { key, index, plan },
            None => KeyCheck::NoPlan(key),
        }
    }

    /// The plan's throttle for the method at `route`: its own, else the plan-wide one.
    pub fn plan_bucket(&self, plan: usize, route: usize) -> Option<PlanBucket> {
        let plan = self.plans.get(plan)?;
        match plan.method_throttles.get(&route) {
            Some(t) => Some(PlanBucket::Method(route, *t)),
            None => plan.throttle.map(PlanBucket::Plan),
        }
    }

    /// Whether any limit at all is configured (no key, no plan, no stage throttle: the
    /// throttle stage has nothing to do).
    pub fn is_empty(&self) -> bool {
        self.plans.is_empty() && self.stage.iter().all(Option::is_none)
    }
}

/// `MethodSettings` per method: the `/*` `*` default, overridden field by field by a
/// method's own setting (later settings win).
fn stage_throttles(api: &Api, config: &DeploymentConfig) -> Vec<Option<Throttle>> {
    let settings = &config.stage.method_settings;
    let all = settings
        .iter()
        .filter(|s| s.methods == MethodSelector::All)
        .fold(None::<ThrottleSettings>, |acc, s| {
            Some(merge(acc, &s.throttle))
        });
    api.routes
        .indexed_methods()
        .map(|(_, method)| {
            let own = settings
                .iter()
                .filter(|s| match &s.methods {
                    MethodSelector::One(m) => {
                        m.verb == method.verb && m.resource_path == method.resource_path
                    }
                    MethodSelector::All => false,
                })
                .fold(None::<ThrottleSettings>, |acc, s| {
                    Some(merge(acc, &s.throttle))
                });
            match (own, all) {
                (None, None) => None,
                (Some(own), all) => {
                    let default = all.map(|a| Throttle::from_settings(&a, None));
                    Some(Throttle::from_settings(&own, default.as_ref()))
                }
                (None, Some(all)) => Some(Throttle::from_settings(&all, None)),
            }
        })
        .collect()
}

/// `over` laid on `under`: the fields `over` sets win.
fn merge(under: Option<ThrottleSettings>, over: &ThrottleSettings) -> ThrottleSettings {
    let under = under.unwrap_or_default();
    ThrottleSettings {
        rate_limit: over.rate_limit.or(under.rate_limit),
        burst_limit: over.burst_limit.or(under.burst_limit),
    }
}

fn plan(api: &Api, config: &UsagePlanConfig, stage: &str) -> Plan {
    let throttle = config
        .throttle
        .filter(|t| t.rate_limit.is_some() || t.burst_limit.is_some())
        .map(|t| Throttle::from_settings(&t, None));
    let mut method_throttles = HashMap::new();
    for api_stage in config.api_stages.iter().filter(|s| s.stage == stage) {
        for (method, settings, _) in &api_stage.method_throttles {
            if let Some(route) = api.routes.find(&method.resource_path, method.verb) {
                method_throttles
                    .insert(route, Throttle::from_settings(settings, throttle.as_ref()));
            }
        }
    }
    Plan {
        name: config.name.clone(),
        throttle,
        method_throttles,
        quota: config.quota,
    }
}

/// A key's id: ten characters of `[a-z0-9]` from the key's name (AWS's ids look alike).
fn key_id(name: &str, salt: u32) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in "apikey:"
        .bytes()
        .chain(name.bytes())
        .chain(salt.to_le_bytes())
    {
        h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
    }
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    (0..10)
        .map(|_| {
            let d = DIGITS.get((h % 36) as usize).copied().unwrap_or(b'0');
            h /= 36;
            char::from(d)
        })
        .collect()
}
