//! Several APIs in one process: `Apis` (which definition files, each one RestApi, by name),
//! `Stages` (AWS::ApiGateway::Stage, `RestApiId` naming an `Apis` Name), `DomainNames`
//! (AWS::ApiGateway::DomainName) and `BasePathMappings` (AWS::ApiGateway::BasePathMapping),
//! and the checks that tie them together: every name refers to something defined, one stage
//! per API and one API per stage name (so `/{stage}/…` on any other host finds one API), one
//! mapping per base path of a domain.

use super::fields::{self, fields, place};
use super::stage;
use super::usage_plans::at_place;
use super::{
    ApiSource, ApiStage, BasePathMapping, DeploymentConfig, DomainNameConfig, Place, StageConfig,
};
use crate::load::cx::{At, Cx};
use crate::rules;

const API_APPLIED: &[&str] = &["Name", "Definition"];
const API_IGNORED: &[&str] = &["Description", "Tags"];
const DOMAIN_APPLIED: &[&str] = &["DomainName"];
const DOMAIN_IGNORED: &[&str] = &[
    "CertificateArn",
    "EndpointConfiguration",
    "MutualTlsAuthentication",
    "OwnershipVerificationCertificateArn",
    "RegionalCertificateArn",
    "RoutingMode",
    "SecurityPolicy",
    "Tags",
];
const MAPPING_APPLIED: &[&str] = &["DomainName", "BasePath", "RestApiId", "Stage"];
const MAPPING_IGNORED: &[&str] = &["Id"];

pub(crate) fn load_apis(cx: &mut Cx<'_>, at: &At<'_>, config: &mut DeploymentConfig) {
    for item in cx.array(at, "`Apis`").into_iter().flatten() {
        let Some(f) = fields(cx, &item, "an API", API_APPLIED, API_IGNORED) else {
            continue;
        };
        let name = f.required_string(cx, "Name", "an API");
        let file = f.required_string(cx, "Definition", "an API");
        let (Some((name_at, name)), Some((_, file))) = (name, file) else {
            continue;
        };
        if config.apis.iter().any(|a| a.name == name) {
            defined_twice(cx, &name_at, format!("API `{name}`"));
            continue;
        }
        config.apis.push(ApiSource {
            name: name.to_string(),
            definition: file.to_string(),
            place: place(cx, &name_at),
        });
    }
}

pub(crate) fn load_stages(cx: &mut Cx<'_>, at: &At<'_>, config: &mut DeploymentConfig) {
    for item in cx.array(at, "`Stages`").into_iter().flatten() {
        let Some(f) = fields(cx, &item, "a stage", stage::APPLIED, stage::IGNORED) else {
            continue;
        };
        let api = f.required_string(cx, "RestApiId", "a stage");
        let name_at = f.require(cx, "StageName", "a stage");
        let mut stage = StageConfig::default();
        stage::read(cx, &f, &mut stage);
        let (Some((api_at, api)), Some(_)) = (api, name_at) else {
            continue;
        };
        config.stages.push(ApiStage {
            api: api.to_string(),
            stage,
            place: place(cx, &api_at),
        });
    }
}

pub(crate) fn load_domain_names(cx: &mut Cx<'_>, at: &At<'_>, config: &mut DeploymentConfig) {
    for item in cx.array(at, "`DomainNames`").into_iter().flatten() {
        let Some(f) = fields(cx, &item, "a domain name", DOMAIN_APPLIED, DOMAIN_IGNORED) else {
            continue;
        };
        let Some((name_at, name)) = f.required_string(cx, "DomainName", "a domain name") else {
            continue;
        };
        if let Err(why) = check_domain_name(name) {
            cx.report(rules::CONFIG_VALUE_INVALID, &name_at, why);
            continue;
        }
        let name = name.to_ascii_lowercase();
        if config.domain_names.iter().any(|d| d.name == name) {
            defined_twice(cx, &name_at, format!("domain name `{name}`"));
            continue;
        }
        config.domain_names.push(DomainNameConfig {
            name,
            place: place(cx, &name_at),
        });
    }
}

pub(crate) fn load_mappings(cx: &mut Cx<'_>, at: &At<'_>, config: &mut DeploymentConfig) {
    for item in cx.array(at, "`BasePathMappings`").into_iter().flatten() {
        let what = "a base path mapping";
        let Some(f) = fields(cx, &item, what, MAPPING_APPLIED, MAPPING_IGNORED) else {
            continue;
        };
        let domain = f.required_string(cx, "DomainName", what);
        let api = f.required_string(cx, "RestApiId", what);
        let (Some((_, domain)), Some((_, api))) = (domain, api) else {
            continue;
        };
        let base_path = match f.get("BasePath") {
            None => None,
            Some(b) => {
                let Some(text) = fields::string(cx, &b, "`BasePath`") else {
                    continue;
                };
                match base_path(text) {
                    Ok(p) => p,
                    Err(why) => {
                        cx.report(rules::CONFIG_VALUE_INVALID, &b, why);
                        continue;
                    }
                }
            }
        };
        let stage = match f.get("Stage") {
            None => None,
            Some(s) => match fields::string(cx, &s, "`Stage`") {
                Some(text) => Some(text.to_string()),
                None => continue,
            },
        };
        let mapping = BasePathMapping {
            domain: domain.to_ascii_lowercase(),
            base_path,
            api: api.to_string(),
            stage,
            place: place(cx, &item),
        };
        if let Some(other) = config
            .base_path_mappings
            .iter()
            .find(|m| m.domain == mapping.domain && m.base_path == mapping.base_path)
        {
            let line = other.place.pos.line;
            cx.report_hint(
                rules::CONFIG_BASE_PATH_DUPLICATE,
                &item,
                format!(
                    "base path `{}` of `{}` is mapped twice (also on line {line})",
                    mapping.base_path.as_deref().unwrap_or("(none)"),
                    mapping.domain
                ),
                "a domain's base path leads to one API stage",
            );
            continue;
        }
        config.base_path_mappings.push(mapping);
    }
}

/// `config-name-duplicate` at `at`: `what` (an API, a domain name) is defined twice.
fn defined_twice(cx: &mut Cx<'_>, at: &At<'_>, what: String) {
    cx.report(
        rules::CONFIG_NAME_DUPLICATE,
        at,
        format!("{what} is defined twice"),
    );
}

/// A `BasePath` as AWS takes it: `(none)` or empty for the root; else one or more segments
/// (`v1`, `orders/v1/items`) of letters, digits and `$-_.+!*'()`, without a slash at either
/// end (a leading one is forgiven, as the console strips it).
fn base_path(text: &str) -> Result<Option<String>, String> {
    let trimmed = text.strip_prefix('/').unwrap_or(text);
    if trimmed.is_empty() || trimmed == "(none)" {
        return Ok(None);
    }
    let valid = trimmed.split('/').all(|segment| {
        !segment.is_empty()
            && segment
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "$-_.+!*'()".contains(c))
    });
    if valid {
        Ok(Some(trimmed.to_string()))
    } else {
        Err(format!(
            "base path `{text}` must be segments of A-Z a-z 0-9 $ - _ . + ! * ' ( ) joined by `/` (or `(none)`)"
        ))
    }
}

/// A host name: labels of letters, digits and `-`, joined by dots; a leading `*.` wildcard
/// is not served (requests name one host).
fn check_domain_name(name: &str) -> Result<(), String> {
    let valid = !name.is_empty()
        && name.len() <= 253
        && name.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        });
    if valid {
        Ok(())
    } else {
        Err(format!(
            "domain name `{name}` must be a host name (labels of A-Z a-z 0-9 - joined by dots; wildcards are not served)"
        ))
    }
}

/// The checks across sections: names that refer to nothing, stages that collide.
/// `single_stage`: where the `Stage` section is, if there is one.
pub(crate) fn check(cx: &mut Cx<'_>, config: &DeploymentConfig, single_stage: Option<&Place>) {
    let mut found = Vec::new();
    let names: Vec<&str> = config.apis.iter().map(|a| a.name.as_str()).collect();
    let undefined_api = |what: String, place: &Place| {
        let hint = if names.is_empty() {
            "name the API and its definition under `Apis`".to_string()
        } else {
            format!("the APIs are: {}", names.join(", "))
        };
        at_place(rules::CONFIG_API_UNDEFINED, place, what, Some(hint))
    };
    if let (Some(place), false) = (single_stage, config.apis.is_empty()) {
        found.push(at_place(
            rules::CONFIG_STAGE_CONFLICT,
            place,
            "`Stage` is the stage of the command line's one API; with `Apis`, each API's stage is in `Stages`".into(),
            Some("move it under `Stages` with `RestApiId`".into()),
        ));
    }
    for (i, s) in config.stages.iter().enumerate() {
        if !names.contains(&s.api.as_str()) {
            found.push(undefined_api(
                format!(
                    "a stage's `RestApiId` names API `{}`, which is not defined",
                    s.api
                ),
                &s.place,
            ));
        }
        for other in config.stages.iter().skip(i + 1) {
            let why = if other.api == s.api {
                format!(
                    "API `{}` has two stages; one stage per API is served",
                    s.api
                )
            } else if other.stage.name == s.stage.name {
                format!(
                    "APIs `{}` and `{}` both have stage `{}`: `/{}/…` on a host that is no domain name would not know which",
                    s.api,
                    other.api,
                    s.stage.name.as_deref().unwrap_or(""),
                    s.stage.name.as_deref().unwrap_or("")
                )
            } else {
                continue;
            };
            found.push(at_place(
                rules::CONFIG_STAGE_CONFLICT,
                &other.place,
                why,
                None,
            ));
        }
    }
    for api in &config.apis {
        if !config.stages.iter().any(|s| s.api == api.name) {
            found.push(at_place(
                rules::CONFIG_STAGE_CONFLICT,
                &api.place,
                format!("API `{}` has no stage in `Stages`", api.name),
                Some("add `{RestApiId: NAME, StageName: STAGE}` under `Stages`".into()),
            ));
        }
    }
    for m in &config.base_path_mappings {
        if !config.domain_names.iter().any(|d| d.name == m.domain) {
            found.push(at_place(
                rules::CONFIG_DOMAIN_UNDEFINED,
                &m.place,
                format!(
                    "a base path mapping names domain `{}`, which is not under `DomainNames`",
                    m.domain
                ),
                None,
            ));
        }
        if !names.contains(&m.api.as_str()) {
            found.push(undefined_api(
                format!(
                    "a base path mapping's `RestApiId` names API `{}`, which is not defined",
                    m.api
                ),
                &m.place,
            ));
            continue;
        }
        let served = config
            .stages
            .iter()
            .find(|s| s.api == m.api)
            .and_then(|s| s.stage.name.as_deref());
        if let (Some(asked), Some(served)) = (&m.stage, served) {
            if asked != served {
                found.push(at_place(
                    rules::CONFIG_STAGE_CONFLICT,
                    &m.place,
                    format!("a base path mapping names stage `{asked}` of API `{}`, whose stage is `{served}`", m.api),
                    None,
                ));
            }
        }
    }
    for plan in &config.usage_plans {
        for s in &plan.api_stages {
            let Some(api) = &s.api else { continue };
            if config.apis.is_empty() {
                found.push(at_place(
                    rules::CONFIG_FIELD_IGNORED,
                    &s.place,
                    format!("`ApiId: {api}` of usage plan `{}` is accepted but not applied: without `Apis` there is one API", plan.name),
                    None,
                ));
            } else if !names.contains(&api.as_str()) {
                found.push(undefined_api(
                    format!(
                        "usage plan `{}` names API `{api}`, which is not defined",
                        plan.name
                    ),
                    &s.place,
                ));
            }
        }
    }
    if config.apis.is_empty() {
        let first = config
            .stages
            .first()
            .map(|s| &s.place)
            .or_else(|| config.domain_names.first().map(|d| &d.place))
            .or_else(|| config.base_path_mappings.first().map(|m| &m.place));
        if let Some(place) = first {
            found.push(at_place(
                rules::CONFIG_API_UNDEFINED,
                place,
                "`Stages`, `DomainNames` and `BasePathMappings` need `Apis`".into(),
                Some("name each API and its definition under `Apis`".into()),
            ));
        }
    }
    for d in found {
        cx.diags.push(d);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_paths_as_aws_takes_them() {
        assert_eq!(base_path("(none)"), Ok(None));
        assert_eq!(base_path(""), Ok(None));
        assert_eq!(base_path("v1"), Ok(Some("v1".into())));
        assert_eq!(base_path("/orders/v1"), Ok(Some("orders/v1".into())));
        assert!(base_path("v1/").is_err());
        assert!(base_path("a//b").is_err());
        assert!(base_path("a b").is_err());
    }
}
