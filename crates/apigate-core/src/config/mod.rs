//! The deployment config file (`--config FILE`): what AWS keeps outside the OpenAPI
//! definition — the stage's settings, API keys, usage plans — written with CloudFormation's
//! property names so a template's resources can be copied in:
//!
//! ```yaml
//! Stage:                              # AWS::ApiGateway::Stage
//!   StageName: v1
//!   Variables: {bucket: my-bucket}
//!   MethodSettings:                   # "/*" and "*" for every method
//!     - {ResourcePath: /pets, HttpMethod: GET, ThrottlingRateLimit: 100, ThrottlingBurstLimit: 50}
//!   AccessLogSetting: {Format: '$context.requestId $context.status'}
//! ApiKeys:                            # AWS::ApiGateway::ApiKey
//!   - {Name: alice, Value: alice-0123456789abcdefghij, Enabled: true}
//! UsagePlans:                         # AWS::ApiGateway::UsagePlan (ApiKeys by Name)
//!   - UsagePlanName: basic
//!     ApiStages: [{Stage: v1, Throttle: {"/pets/GET": {RateLimit: 1, BurstLimit: 1}}}]
//!     Throttle: {RateLimit: 5, BurstLimit: 10}
//!     Quota: {Limit: 1000, Period: DAY}
//!     ApiKeys: [alice]
//! ```
//!
//! With several APIs, `Apis` names their definitions and `Stages`, `DomainNames` and
//! `BasePathMappings` deploy them (`apis.rs`); [`DeploymentConfig::for_api`] is one API's
//! share, which the single-API checks and limits take as they are.
//!
//! The file is read like a definition (JSON or YAML, the same spanned reader), and every
//! problem is a [`Diagnostic`] with its line, column, JSON pointer, rule id and hint. The
//! sections are one table ([`SECTIONS`]): a later section is one more entry and one more
//! module. [`load`] reads the file alone; [`check_against`] checks it against the API it
//! deploys (methods named in settings exist, plans cover the served stage).

mod against_api;
mod apis;
mod fields;
mod keys;
mod stage;
#[cfg(test)]
mod tests;
mod usage_plans;

use std::collections::BTreeMap;

use crate::diag::{Diagnostic, Diagnostics, Pos};
use crate::load::cx::{At, Cx, KeyAt};
use crate::model::HttpMethod;
use crate::rules;
use crate::source::{self, Format};

pub use against_api::check_against;
pub use stage::{check_stage_name, check_stage_variable};

/// The deployment config, validated.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DeploymentConfig {
    pub stage: StageConfig,
    pub api_keys: Vec<ApiKeyConfig>,
    pub usage_plans: Vec<UsagePlanConfig>,
    /// `Apis`: several APIs in one process, each a definition file (empty: the one API of
    /// the command line, with `Stage`).
    pub apis: Vec<ApiSource>,
    /// `Stages`: each API's stage (AWS::ApiGateway::Stage with `RestApiId`).
    pub stages: Vec<ApiStage>,
    /// `DomainNames` (AWS::ApiGateway::DomainName): the hosts requests are routed by.
    pub domain_names: Vec<DomainNameConfig>,
    /// `BasePathMappings` (AWS::ApiGateway::BasePathMapping).
    pub base_path_mappings: Vec<BasePathMapping>,
}

/// `Apis[]`: one REST API, by name, from a definition file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiSource {
    /// `Name`: what `RestApiId` and `ApiId` refer to.
    pub name: String,
    /// `Definition`: the file, relative to the config file.
    pub definition: String,
    pub place: Place,
}

/// `Stages[]`: the stage an API is served as.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiStage {
    /// `RestApiId`: an `Apis` name.
    pub api: String,
    pub stage: StageConfig,
    pub place: Place,
}

/// `DomainNames[]`: a custom domain name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DomainNameConfig {
    /// `DomainName`, lowercase.
    pub name: String,
    pub place: Place,
}

/// `BasePathMappings[]`: requests to `domain` whose path starts with `base_path` go to an
/// API's stage, the base path taken off.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasePathMapping {
    pub domain: String,
    /// `BasePath` without slashes around it (`v1`, `orders/v1`); `None`: `(none)`, the root.
    pub base_path: Option<String>,
    /// `RestApiId`: an `Apis` name.
    pub api: String,
    /// `Stage`: the API's stage (the one it has when left out).
    pub stage: Option<String>,
    pub place: Place,
}

impl DeploymentConfig {
    /// The config as one API of `Apis` sees it: its stage, every key, the usage plans with a
    /// stage of its (each plan's `ApiStages` cut to those).
    pub fn for_api(&self, name: &str) -> DeploymentConfig {
        let stage = self
            .stages
            .iter()
            .find(|s| s.api == name)
            .map(|s| s.stage.clone())
            .unwrap_or_default();
        let served = stage.name.clone();
        let usage_plans = self
            .usage_plans
            .iter()
            .filter_map(|p| {
                let api_stages: Vec<PlanStage> = p
                    .api_stages
                    .iter()
                    .filter(|s| {
                        Some(&s.stage) == served.as_ref()
                            && s.api.as_deref().is_none_or(|a| a == name)
                    })
                    .cloned()
                    .collect();
                (!api_stages.is_empty()).then(|| UsagePlanConfig {
                    api_stages,
                    ..p.clone()
                })
            })
            .collect();
        DeploymentConfig {
            stage,
            api_keys: self.api_keys.clone(),
            usage_plans,
            ..DeploymentConfig::default()
        }
    }
}

/// `Stage` (AWS::ApiGateway::Stage).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageConfig {
    /// `StageName`; `--stage` overrides it.
    pub name: Option<String>,
    /// `Variables`; each `--stage-variable` overrides its name.
    pub variables: BTreeMap<String, String>,
    /// `MethodSettings`, in file order.
    pub method_settings: Vec<MethodSetting>,
    /// `AccessLogSetting.Format`; `--access-log-format` overrides it. Its variables are
    /// checked by the access log's own parser (the CLI's config diagnostics), not here.
    pub access_log_format: Option<AccessLogFormatSetting>,
}

/// `AccessLogSetting.Format` as written, and where.
#[derive(Debug, Clone, PartialEq)]
pub struct AccessLogFormatSetting {
    pub format: String,
    pub place: Place,
}

/// One `MethodSettings` entry: the throttling it sets for its methods.
#[derive(Debug, Clone, PartialEq)]
pub struct MethodSetting {
    pub methods: MethodSelector,
    pub throttle: ThrottleSettings,
    pub place: Place,
}

/// Which methods a setting is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MethodSelector {
    /// `ResourcePath: /*`, `HttpMethod: "*"`.
    All,
    One(MethodRef),
}

/// A method of the API as the file names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MethodRef {
    /// As in the definition: `/pets/{id}` (`/` for the root resource).
    pub resource_path: String,
    pub verb: HttpMethod,
}

impl std::fmt::Display for MethodRef {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.verb.as_str(), self.resource_path)
    }
}

/// A rate (requests per second, steady state) and a burst (the bucket's size); either may
/// be left out (see [`crate::limits`] for what then applies).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ThrottleSettings {
    pub rate_limit: Option<f64>,
    pub burst_limit: Option<u32>,
}

/// `ApiKeys[]` (AWS::ApiGateway::ApiKey).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiKeyConfig {
    /// `Name`: how usage plans refer to the key.
    pub name: String,
    /// `Value`; without one a value is generated when the gateway starts (as AWS generates
    /// one), and printed.
    pub value: Option<String>,
    /// `Enabled` (false unless set, as in AWS).
    pub enabled: bool,
    pub place: Place,
}

/// `UsagePlans[]` (AWS::ApiGateway::UsagePlan).
#[derive(Debug, Clone, PartialEq)]
pub struct UsagePlanConfig {
    /// `UsagePlanName` (`usage-plan-N` without one).
    pub name: String,
    pub api_stages: Vec<PlanStage>,
    /// Per key, across the plan's methods.
    pub throttle: Option<ThrottleSettings>,
    pub quota: Option<QuotaSettings>,
    /// `ApiKeys`: the keys in the plan, by `Name` (an apigate addition; CloudFormation
    /// links them with AWS::ApiGateway::UsagePlanKey resources).
    pub api_keys: Vec<KeyRef>,
    pub place: Place,
}

/// A usage plan's reference to an API key, by name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRef {
    pub name: String,
    pub place: Place,
}

/// `ApiStages[]`: a stage the plan gives access to, with per-method throttling.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanStage {
    /// `ApiId`: the `Apis` name the stage is of (with several APIs; stage names are unique
    /// across them, so it may be left out).
    pub api: Option<String>,
    pub stage: String,
    /// `Throttle`: `"/path/VERB"` → limits for that method, per key.
    pub method_throttles: Vec<(MethodRef, ThrottleSettings, Place)>,
    pub place: Place,
}

/// `Quota`: at most `limit` requests per key per period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuotaSettings {
    pub limit: u64,
    /// Requests taken off the limit in the quota's first period (AWS's API reference).
    pub offset: u64,
    pub period: Period,
}

/// A quota period (UTC calendar days, weeks from Sunday, calendar months).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Day,
    Week,
    Month,
}

impl Period {
    pub fn as_str(self) -> &'static str {
        match self {
            Period::Day => "DAY",
            Period::Week => "WEEK",
            Period::Month => "MONTH",
        }
    }
}

/// Where something is in the config file, for the checks made after loading.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Place {
    pub pointer: String,
    pub pos: Pos,
}

/// The outcome of loading a config file.
#[derive(Debug)]
pub struct LoadedConfig {
    /// `None` when any error was reported.
    pub config: Option<DeploymentConfig>,
    /// Every problem found, sorted by position.
    pub diagnostics: Diagnostics,
}

/// One top-level section: its name, and what reads it into the config.
type Section = (
    &'static str,
    fn(&mut Cx<'_>, &At<'_>, &mut DeploymentConfig),
);

/// The file's sections. A later issue's section is one more entry here.
pub const SECTION_NAMES: &[&str] = &[
    "Stage",
    "ApiKeys",
    "UsagePlans",
    "Apis",
    "Stages",
    "DomainNames",
    "BasePathMappings",
];

const SECTIONS: &[Section] = &[
    ("Stage", stage::load),
    ("ApiKeys", keys::load),
    ("UsagePlans", usage_plans::load),
    ("Apis", apis::load_apis),
    ("Stages", apis::load_stages),
    ("DomainNames", apis::load_domain_names),
    ("BasePathMappings", apis::load_mappings),
];

/// Most bytes a config file may have (the definition's own limit).
pub const MAX_CONFIG_BYTES: usize = crate::MAX_DEFINITION_BYTES;

/// Loads a config file from its text. `file_name` picks JSON or YAML by extension (else the
/// content decides). Never panics.
pub fn load(file_name: &str, text: &str) -> LoadedConfig {
    let mut diags = Diagnostics::default();
    let config = load_into(file_name, text, &mut diags);
    diags.sort();
    let config = if diags.has_errors() { None } else { config };
    LoadedConfig {
        config,
        diagnostics: diags,
    }
}

fn load_into(file_name: &str, text: &str, diags: &mut Diagnostics) -> Option<DeploymentConfig> {
    if text.len() > MAX_CONFIG_BYTES {
        diags.push(Diagnostic {
            severity: rules::DEFINITION_TOO_LARGE.severity,
            rule: rules::DEFINITION_TOO_LARGE.id,
            message: format!(
                "the config file is {} bytes; at most {MAX_CONFIG_BYTES} are read",
                text.len()
            ),
            pointer: String::new(),
            pos: fields::START,
            hint: None,
        });
        return None;
    }
    // A file of nothing but blank lines and comments configures nothing.
    if text
        .lines()
        .all(|l| l.trim().is_empty() || l.trim_start().starts_with('#'))
    {
        return Some(DeploymentConfig::default());
    }
    let doc = match source::parse(text, Format::detect(file_name, text)) {
        Ok(doc) => doc,
        Err(e) => {
            diags.push(e.into());
            return None;
        }
    };
    let mut cx = Cx::new(diags, &doc);
    let root = At::root(&doc);
    // `~` or `null`: nothing configured.
    if matches!(doc.value, source::Value::Null) {
        return Some(DeploymentConfig::default());
    }
    let entries = cx.object(&root, "the config file")?;
    let mut config = DeploymentConfig::default();
    let mut single_stage = None;
    for (key, at) in entries {
        match SECTIONS.iter().find(|(name, _)| key.text == *name) {
            Some((name, read)) => {
                if *name == "Stage" {
                    single_stage = Some(fields::place(&mut cx, &at));
                }
                read(&mut cx, &at, &mut config);
            }
            None => {
                let name = key.text.as_str();
                let hint = match SECTIONS.iter().find(|(s, _)| s.eq_ignore_ascii_case(name)) {
                    Some((s, _)) => format!("did you mean `{s}`?"),
                    None => format!("the sections are {}", SECTION_NAMES.join(", ")),
                };
                cx.report_hint(
                    rules::CONFIG_FIELD_UNKNOWN,
                    &KeyAt(key, &at),
                    format!("`{name}` is not a section of the config file"),
                    hint,
                );
            }
        }
    }
    usage_plans::check_keys(&mut cx, &config);
    apis::check(&mut cx, &config, single_stage.as_ref());
    Some(config)
}

/// Parses a method setting's `ResourcePath`: `/pets/{id}` as in the definition, or
/// CloudFormation's escaped form (`/~1pets~1{id}`: each `/` after the first written `~1`).
pub(crate) fn resource_path(text: &str) -> String {
    if !text.contains('~') {
        return text.to_string();
    }
    let decoded = text.replace("~1", "/").replace("~0", "~");
    match decoded.strip_prefix("//") {
        Some(rest) => format!("/{rest}"),
        None => decoded,
    }
}
