//! `UsagePlans` (AWS::ApiGateway::UsagePlan): the stages a plan's keys may call, the
//! throttling per key (plan-wide, and per method in `ApiStages[].Throttle`), the quota per
//! key, and the keys (`ApiKeys`, by name).

use super::fields::{self, fields, place};
use super::stage::{MAX_BURST, MAX_RATE};
use super::{
    resource_path, DeploymentConfig, KeyRef, MethodRef, Period, PlanStage, QuotaSettings,
    ThrottleSettings, UsagePlanConfig,
};
use crate::diag::Diagnostic;
use crate::load::cx::{At, Cx, KeyAt};
use crate::model::HttpMethod;
use crate::rules;

const APPLIED: &[&str] = &["UsagePlanName", "ApiStages", "Throttle", "Quota", "ApiKeys"];
const IGNORED: &[&str] = &["Description", "Tags"];

const STAGE_APPLIED: &[&str] = &["ApiId", "Stage", "Throttle"];
const STAGE_IGNORED: &[&str] = &[];

const THROTTLE_APPLIED: &[&str] = &["RateLimit", "BurstLimit"];
const QUOTA_APPLIED: &[&str] = &["Limit", "Offset", "Period"];

pub(crate) fn load(cx: &mut Cx<'_>, at: &At<'_>, config: &mut DeploymentConfig) {
    let Some(items) = cx.array(at, "`UsagePlans`") else {
        return;
    };
    for (i, item) in items.enumerate() {
        let Some(plan) = usage_plan(cx, &item, i + 1) else {
            continue;
        };
        if config.usage_plans.iter().any(|p| p.name == plan.name) {
            cx.report(
                rules::CONFIG_NAME_DUPLICATE,
                &item,
                format!("usage plan `{}` is defined twice", plan.name),
            );
            continue;
        }
        config.usage_plans.push(plan);
    }
}

fn usage_plan(cx: &mut Cx<'_>, at: &At<'_>, n: usize) -> Option<UsagePlanConfig> {
    let f = fields(cx, at, "a usage plan", APPLIED, IGNORED)?;
    let name = match f.get("UsagePlanName") {
        Some(v) => fields::string(cx, &v, "`UsagePlanName`")?.to_string(),
        None => format!("usage-plan-{n}"),
    };
    let mut api_stages = Vec::new();
    if let Some(list) = f.get("ApiStages") {
        for item in cx.array(&list, "`ApiStages`").into_iter().flatten() {
            if let Some(stage) = plan_stage(cx, &item) {
                api_stages.push(stage);
            }
        }
    }
    let throttle = match f.get("Throttle") {
        Some(t) => Some(throttle(cx, &t, "the plan's `Throttle`")?),
        None => None,
    };
    let quota = match f.get("Quota") {
        Some(q) => Some(quota(cx, &q)?),
        None => None,
    };
    let mut api_keys = Vec::new();
    if let Some(list) = f.get("ApiKeys") {
        for item in cx
            .array(&list, "the plan's `ApiKeys`")
            .into_iter()
            .flatten()
        {
            if let Some(key) = fields::string(cx, &item, "an API key name") {
                api_keys.push(KeyRef {
                    name: key.to_string(),
                    place: place(cx, &item),
                });
            }
        }
    }
    Some(UsagePlanConfig {
        name,
        api_stages,
        throttle,
        quota,
        api_keys,
        place: place(cx, at),
    })
}

fn plan_stage(cx: &mut Cx<'_>, at: &At<'_>) -> Option<PlanStage> {
    let f = fields(cx, at, "an API stage", STAGE_APPLIED, STAGE_IGNORED)?;
    let stage_at = f.require(cx, "Stage", "an API stage")?;
    let stage = fields::string(cx, &stage_at, "`Stage`")?;
    if let Err(why) = super::check_stage_name(stage) {
        cx.report(rules::CONFIG_VALUE_INVALID, &stage_at, why);
        return None;
    }
    let mut method_throttles = Vec::new();
    if let Some(map) = f.get("Throttle") {
        for (key, value) in cx
            .object(&map, "an API stage's `Throttle`")
            .into_iter()
            .flatten()
        {
            let Some(method) = method_path(&key.text) else {
                cx.report_hint(
                    rules::CONFIG_VALUE_INVALID,
                    &KeyAt(key, &value),
                    format!("`{}` is not a method path", key.text),
                    "write the resource path then the verb: \"/pets/GET\", \"/pets/{id}/DELETE\" (\"//GET\" for the root)",
                );
                continue;
            };
            if let Some(settings) = throttle(cx, &value, "a method's throttle") {
                let at = place(cx, &value);
                method_throttles.push((method, settings, at));
            }
        }
    }
    let api = match f.get("ApiId") {
        Some(a) => Some(fields::string(cx, &a, "`ApiId`")?.to_string()),
        None => None,
    };
    Some(PlanStage {
        api,
        stage: stage.to_string(),
        method_throttles,
        place: place(cx, at),
    })
}

/// `"/pets/GET"` → `GET /pets`; the root is `"//GET"` (or `"/GET"`). CloudFormation's `~1`
/// escapes are accepted as in method settings.
fn method_path(text: &str) -> Option<MethodRef> {
    let (path, verb) = text.rsplit_once('/')?;
    let verb = HttpMethod::parse(verb).filter(|v| v.as_str() == verb)?;
    let path = resource_path(path);
    let path = match path.as_str() {
        "" | "/" => "/".to_string(),
        p if p.starts_with('/') => p.to_string(),
        _ => return None,
    };
    Some(MethodRef {
        resource_path: path,
        verb,
    })
}

fn throttle(cx: &mut Cx<'_>, at: &At<'_>, what: &str) -> Option<ThrottleSettings> {
    let f = fields(cx, at, what, THROTTLE_APPLIED, &[])?;
    let rate_limit = match f.get("RateLimit") {
        Some(r) => Some(fields::number(cx, &r, "`RateLimit`", 0.0, MAX_RATE)?),
        None => None,
    };
    let burst_limit = match f.get("BurstLimit") {
        Some(b) => Some(
            fields::integer(cx, &b, "`BurstLimit`", 0, MAX_BURST)
                .and_then(|n| u32::try_from(n).ok())?,
        ),
        None => None,
    };
    Some(ThrottleSettings {
        rate_limit,
        burst_limit,
    })
}

fn quota(cx: &mut Cx<'_>, at: &At<'_>) -> Option<QuotaSettings> {
    let f = fields(cx, at, "the plan's `Quota`", QUOTA_APPLIED, &[])?;
    let limit_at = f.require(cx, "Limit", "a quota");
    let period_at = f.require(cx, "Period", "a quota");
    let limit = fields::integer(
        cx,
        &limit_at?,
        "the quota's `Limit`",
        0,
        i64::from(i32::MAX),
    )?;
    let period_at = period_at?;
    let period = match fields::string(cx, &period_at, "the quota's `Period`")? {
        "DAY" => Period::Day,
        "WEEK" => Period::Week,
        "MONTH" => Period::Month,
        other => {
            cx.report(
                rules::CONFIG_VALUE_INVALID,
                &period_at,
                format!("quota period `{other}` is not DAY, WEEK or MONTH"),
            );
            return None;
        }
    };
    let offset = match f.get("Offset") {
        Some(o) => {
            let offset = fields::integer(cx, &o, "the quota's `Offset`", 0, i64::from(i32::MAX))?;
            if offset > 0 && offset >= limit {
                cx.report(
                    rules::CONFIG_VALUE_INVALID,
                    &o,
                    format!("the quota's `Offset` ({offset}) must be below its `Limit` ({limit})"),
                );
                return None;
            }
            offset
        }
        None => 0,
    };
    Some(QuotaSettings {
        limit: u64::try_from(limit).ok()?,
        offset: u64::try_from(offset).ok()?,
        period,
    })
}

/// The plans' `ApiKeys` name keys the file defines, and no key is in two plans for one
/// stage (AWS allows one usage plan per key and stage).
pub(crate) fn check_keys(cx: &mut Cx<'_>, config: &DeploymentConfig) {
    let mut pushed = Vec::new();
    for plan in &config.usage_plans {
        for KeyRef { name, place } in &plan.api_keys {
            if !config.api_keys.iter().any(|k| &k.name == name) {
                let defined: Vec<&str> = config.api_keys.iter().map(|k| k.name.as_str()).collect();
                let hint = if defined.is_empty() {
                    "define it under `ApiKeys`".to_string()
                } else {
                    format!("the keys defined are: {}", defined.join(", "))
                };
                pushed.push(at_place(
                    rules::CONFIG_KEY_UNDEFINED,
                    place,
                    format!(
                        "usage plan `{}` names API key `{name}`, which is not defined",
                        plan.name
                    ),
                    Some(hint),
                ));
            }
        }
    }
    for (i, plan) in config.usage_plans.iter().enumerate() {
        for other in config.usage_plans.iter().skip(i + 1) {
            let shared_stage = plan
                .api_stages
                .iter()
                .find(|s| other.api_stages.iter().any(|o| o.stage == s.stage));
            let Some(stage) = shared_stage else { continue };
            for key in plan
                .api_keys
                .iter()
                .filter(|k| other.api_keys.iter().any(|o| o.name == k.name))
            {
                let key = &key.name;
                pushed.push(at_place(
                    rules::API_KEY_PLAN_CONFLICT,
                    &other.place,
                    format!(
                        "API key `{key}` is in usage plans `{}` and `{}`, both for stage `{}`",
                        plan.name, other.name, stage.stage
                    ),
                    Some("AWS allows one usage plan per key and stage".into()),
                ));
            }
        }
    }
    for d in pushed {
        cx.diags.push(d);
    }
}

/// A diagnostic at a place recorded while loading.
pub(crate) fn at_place(
    rule: rules::Rule,
    place: &super::Place,
    message: String,
    hint: Option<String>,
) -> Diagnostic {
    Diagnostic {
        severity: rule.severity,
        rule: rule.id,
        message,
        pointer: place.pointer.clone(),
        pos: place.pos,
        hint,
    }
}
