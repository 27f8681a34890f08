//! The config file checked against the API it deploys: the methods its settings name exist,
//! its usage plans cover the stage being served, and a method that requires an API key can
//! be called with one. Diagnostics point into the config file.

use super::usage_plans::at_place;
use super::{DeploymentConfig, MethodRef, MethodSelector, Place};
use crate::diag::{Diagnostics, Pos};
use crate::model::Api;
use crate::rules;

/// Checks `config` against `api` served on `stage` (the stage `--stage`, the file's
/// `StageName` or the definition's basePath names; `None` = served at `/`). `api_name` names
/// the definition in messages.
pub fn check_against(
    config: &DeploymentConfig,
    api: &Api,
    api_name: &str,
    stage: Option<&str>,
) -> Diagnostics {
    let mut diags = Diagnostics::default();
    let method_exists = |method: &MethodRef, place: &Place, diags: &mut Diagnostics| {
        if api
            .routes
            .find(&method.resource_path, method.verb)
            .is_none()
        {
            let on_resource: Vec<&str> = api
                .methods()
                .filter(|m| m.resource_path == method.resource_path)
                .map(|m| m.verb.as_str())
                .collect();
            let hint = if on_resource.is_empty() {
                format!("{api_name} has no resource {}", method.resource_path)
            } else {
                format!(
                    "{} has {} on {}",
                    api_name,
                    on_resource.join(", "),
                    method.resource_path
                )
            };
            diags.push(at_place(
                rules::CONFIG_METHOD_UNKNOWN,
                place,
                format!("{api_name} has no method {method}"),
                Some(hint),
            ));
        }
    };
    for setting in &config.stage.method_settings {
        if let MethodSelector::One(m) = &setting.methods {
            method_exists(m, &setting.place, &mut diags);
        }
    }
    for plan in &config.usage_plans {
        for stage in &plan.api_stages {
            for (m, _, place) in &stage.method_throttles {
                method_exists(m, place, &mut diags);
            }
        }
        let covers = stage.is_some_and(|s| plan.api_stages.iter().any(|a| a.stage == s));
        if !covers {
            let served = match stage {
                Some(s) => format!("stage `{s}`"),
                None => "no stage (the API is served at /)".to_string(),
            };
            let listed: Vec<&str> = plan.api_stages.iter().map(|s| s.stage.as_str()).collect();
            diags.push(at_place(
                rules::USAGE_PLAN_STAGE_UNSERVED,
                &plan.place,
                format!(
                    "usage plan `{}` is for stage(s) [{}] and {api_name} is served on {served}: its keys answer 403 there",
                    plan.name,
                    listed.join(", ")
                ),
                Some("add the served stage to the plan's `ApiStages`, or serve that stage (`StageName`, --stage)".into()),
            ));
        }
    }
    let key_methods = api.methods().filter(|m| m.api_key_required).count();
    if key_methods > 0 {
        let usable = config.api_keys.iter().any(|k| {
            k.enabled
                && config.usage_plans.iter().any(|p| {
                    p.api_keys.iter().any(|r| r.name == k.name)
                        && stage.is_some_and(|s| p.api_stages.iter().any(|a| a.stage == s))
                })
        });
        if !usable {
            diags.push(at_place(
                rules::API_KEYS_UNUSABLE,
                &Place {
                    pointer: String::new(),
                    pos: Pos { line: 1, col: 1 },
                },
                format!(
                    "{key_methods} method(s) of {api_name} require an API key, and no enabled key is in a usage plan for the served stage: every call to them answers 403"
                ),
                Some("define an enabled key under `ApiKeys` and name it in a usage plan whose `ApiStages` list the stage".into()),
            ));
        }
    }
    diags.sort();
    diags
}
