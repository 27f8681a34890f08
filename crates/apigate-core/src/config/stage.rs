//! `Stage` (AWS::ApiGateway::Stage): the stage's name, its variables, its methods'
//! throttling (`MethodSettings`) and its access log's format (`AccessLogSetting.Format`).

use super::fields::{self, fields, place};
use super::{
    resource_path, AccessLogFormatSetting, DeploymentConfig, MethodRef, MethodSelector,
    MethodSetting, StageConfig, ThrottleSettings,
};
use crate::load::cx::{At, Cx};
use crate::model::HttpMethod;
use crate::rules;

/// The properties applied (`RestApiId` only in `Stages`: which API, by its `Apis` Name; in
/// `Stage` it is accepted and not applied).
pub(crate) const APPLIED: &[&str] = &[
    "RestApiId",
    "StageName",
    "Variables",
    "MethodSettings",
    "AccessLogSetting",
];
/// The rest of AWS::ApiGateway::Stage: accepted, not applied.
pub(crate) const IGNORED: &[&str] = &[
    "CacheClusterEnabled",
    "CacheClusterSize",
    "CanarySetting",
    "ClientCertificateId",
    "DeploymentId",
    "Description",
    "DocumentationVersion",
    "Tags",
    "TracingEnabled",
];

const SETTING_APPLIED: &[&str] = &[
    "ResourcePath",
    "HttpMethod",
    "ThrottlingRateLimit",
    "ThrottlingBurstLimit",
];
const SETTING_IGNORED: &[&str] = &[
    "CacheDataEncrypted",
    "CacheTtlInSeconds",
    "CachingEnabled",
    "DataTraceEnabled",
    "LoggingLevel",
    "MetricsEnabled",
];

/// Largest rate accepted (requests per second); far above any account's limit.
pub(crate) const MAX_RATE: f64 = 1.0e9;
/// Largest burst accepted (CloudFormation's Integer).
pub(crate) const MAX_BURST: i64 = i32::MAX as i64;

pub(crate) fn load(cx: &mut Cx<'_>, at: &At<'_>, config: &mut DeploymentConfig) {
    let Some(f) = fields(cx, at, "`Stage`", APPLIED, IGNORED) else {
        return;
    };
    if let Some(api) = f.get("RestApiId") {
        cx.report_hint(
            rules::CONFIG_FIELD_IGNORED,
            &api,
            "`RestApiId` of `Stage` is accepted but not applied by apigate (the API is the command line's)",
            "see docs/PARITY.md (the deployment config file)",
        );
    }
    read(cx, &f, &mut config.stage);
}

/// Reads a stage's applied properties from `f` into `stage`.
pub(crate) fn read(cx: &mut Cx<'_>, f: &fields::Fields<'_>, stage: &mut StageConfig) {
    if let Some(name) = f.get("StageName") {
        if let Some(text) = fields::string(cx, &name, "`StageName`") {
            match check_stage_name(text) {
                Ok(()) => stage.name = Some(text.to_string()),
                Err(why) => {
                    cx.report(rules::CONFIG_VALUE_INVALID, &name, why);
                }
            }
        }
    }
    if let Some(vars) = f.get("Variables") {
        if let Some(entries) = cx.object(&vars, "`Variables`") {
            for (key, value) in entries {
                let Some(text) = scalar_text(&value) else {
                    let found = value.node.type_name();
                    cx.report(
                        rules::INVALID_TYPE,
                        &value,
                        format!(
                            "stage variable `{}` must be a string, found {found}",
                            key.text
                        ),
                    );
                    continue;
                };
                match check_stage_variable(&key.text, &text) {
                    Ok(()) => {
                        stage.variables.insert(key.text.to_string(), text);
                    }
                    Err(why) => {
                        cx.report(rules::CONFIG_VALUE_INVALID, &value, why);
                    }
                }
            }
        }
    }
    if let Some(list) = f.get("MethodSettings") {
        if let Some(items) = cx.array(&list, "`MethodSettings`") {
            for item in items {
                if let Some(setting) = method_setting(cx, &item) {
                    stage.method_settings.push(setting);
                }
            }
        }
    }
    if let Some(setting) = f.get("AccessLogSetting") {
        stage.access_log_format = access_log_setting(cx, &setting);
    }
}

/// `AccessLogSetting`: its `Format` applies (to `--access-log`, or stdout); the log goes
/// where `--access-log` says, so `DestinationArn` is accepted and not applied.
fn access_log_setting(cx: &mut Cx<'_>, at: &At<'_>) -> Option<AccessLogFormatSetting> {
    let f = fields(
        cx,
        at,
        "`AccessLogSetting`",
        &["Format"],
        &["DestinationArn"],
    )?;
    let format_at = f.require(cx, "Format", "`AccessLogSetting`")?;
    let format = fields::string(cx, &format_at, "`Format`")?;
    Some(AccessLogFormatSetting {
        format: format.to_string(),
        place: place(cx, &format_at),
    })
}

/// A stage variable's value as text: strings, and numbers or booleans as written (YAML
/// reads `port: 8080` as a number).
fn scalar_text(at: &At<'_>) -> Option<String> {
    use crate::source::Value;
    match &at.node.value {
        Value::String(s) => Some(s.to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn method_setting(cx: &mut Cx<'_>, at: &At<'_>) -> Option<MethodSetting> {
    let f = fields(cx, at, "a method setting", SETTING_APPLIED, SETTING_IGNORED)?;
    let path_at = f.require(cx, "ResourcePath", "a method setting");
    let verb_at = f.require(cx, "HttpMethod", "a method setting");
    let throttle = ThrottleSettings {
        rate_limit: f
            .get("ThrottlingRateLimit")
            .and_then(|r| fields::number(cx, &r, "`ThrottlingRateLimit`", 0.0, MAX_RATE)),
        burst_limit: f.get("ThrottlingBurstLimit").and_then(|b| {
            fields::integer(cx, &b, "`ThrottlingBurstLimit`", 0, MAX_BURST)
                .and_then(|n| u32::try_from(n).ok())
        }),
    };
    let path = fields::string(cx, &path_at?, "`ResourcePath`")?;
    let verb_at = verb_at?;
    let verb = fields::string(cx, &verb_at, "`HttpMethod`")?;
    let path = resource_path(path);
    let methods = match (path.as_str(), verb) {
        ("/*", "*") => MethodSelector::All,
        ("/*", _) | (_, "*") => {
            cx.report_hint(
                rules::CONFIG_VALUE_INVALID,
                at,
                format!("`ResourcePath: {path}` with `HttpMethod: {verb}` names no method"),
                "write `ResourcePath: /*` with `HttpMethod: \"*\"` for every method, or one resource path and one verb",
            );
            return None;
        }
        (p, v) => {
            let Some(verb) = HttpMethod::parse(v) else {
                cx.report(
                    rules::CONFIG_VALUE_INVALID,
                    &verb_at,
                    format!("`HttpMethod: {v}` is not an HTTP method (GET, PUT, POST, DELETE, PATCH, HEAD, OPTIONS, ANY, or \"*\")"),
                );
                return None;
            };
            if !p.starts_with('/') {
                cx.report(
                    rules::CONFIG_VALUE_INVALID,
                    &f.get("ResourcePath").unwrap_or(*at),
                    format!("`ResourcePath: {p}` must start with `/`"),
                );
                return None;
            }
            MethodSelector::One(MethodRef {
                resource_path: p.to_string(),
                verb,
            })
        }
    };
    Some(MethodSetting {
        methods,
        throttle,
        place: place(cx, at),
    })
}

/// AWS's stage name rule: 1 to 128 characters of A-Z a-z 0-9 _ -.
pub fn check_stage_name(name: &str) -> Result<(), String> {
    if !name.is_empty()
        && name.len() <= 128
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
    {
        Ok(())
    } else {
        Err(format!(
            "stage name `{name}` must be 1-128 characters of A-Z a-z 0-9 _ -"
        ))
    }
}

/// AWS's stage variable rules: names of 1-64 characters of A-Z a-z 0-9 _, values of at
/// most 512 characters of A-Z a-z 0-9 - . _ ~ : / ? # & = ,
pub fn check_stage_variable(name: &str, value: &str) -> Result<(), String> {
    if name.is_empty()
        || name.len() > 64
        || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        return Err(format!(
            "stage variable name `{name}` must be 1-64 characters of A-Z a-z 0-9 _"
        ));
    }
    if value.len() > 512
        || !value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~:/?#&=,".contains(c))
    {
        return Err(format!(
            "stage variable value `{value}` must be at most 512 characters of A-Z a-z 0-9 - . _ ~ : / ? # & = ,"
        ));
    }
    Ok(())
}
