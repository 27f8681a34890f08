//! `ApiKeys` (AWS::ApiGateway::ApiKey): the keys callers present, by name.
//!
//! AWS's own checks, recorded (LocalStack's AWS-validated
//! `test_create_api_key_with_invalid_name`/`_invalid_value`, 2025-07-17): a name of at most
//! 1024 characters, a value of 20 to 128; a key is disabled unless `enabled` is set
//! (`test_get_api_keys`: created without it, `"enabled": false`).

use super::fields::{self, fields, place};
use super::{ApiKeyConfig, DeploymentConfig};
use crate::load::cx::{At, Cx};
use crate::rules;

const APPLIED: &[&str] = &["Name", "Value", "Enabled"];
const IGNORED: &[&str] = &[
    "CustomerId",
    "Description",
    "GenerateDistinctId",
    "StageKeys",
    "Tags",
];

/// AWS's limits on a key's value and name (recorded).
pub(crate) const VALUE_MIN: usize = 20;
pub(crate) const VALUE_MAX: usize = 128;
pub(crate) const NAME_MAX: usize = 1024;

pub(crate) fn load(cx: &mut Cx<'_>, at: &At<'_>, config: &mut DeploymentConfig) {
    let Some(items) = cx.array(at, "`ApiKeys`") else {
        return;
    };
    for item in items {
        let Some(key) = api_key(cx, &item) else {
            continue;
        };
        if let Some(other) = config.api_keys.iter().find(|k| k.name == key.name) {
            let line = other.place.pos.line;
            cx.report(
                rules::CONFIG_NAME_DUPLICATE,
                &item,
                format!(
                    "API key `{}` is defined twice (also on line {line})",
                    key.name
                ),
            );
            continue;
        }
        if let Some(value) = &key.value {
            if let Some(other) = config
                .api_keys
                .iter()
                .find(|k| k.value.as_ref() == Some(value))
            {
                let other = other.name.clone();
                cx.report(
                    rules::CONFIG_NAME_DUPLICATE,
                    &item,
                    format!("API keys `{other}` and `{}` have the same value", key.name),
                );
                continue;
            }
        }
        config.api_keys.push(key);
    }
}

fn api_key(cx: &mut Cx<'_>, at: &At<'_>) -> Option<ApiKeyConfig> {
    let f = fields(cx, at, "an API key", APPLIED, IGNORED)?;
    let name_at = f.require(cx, "Name", "an API key")?;
    let name = fields::string(cx, &name_at, "the key's `Name`")?;
    if name.is_empty() || name.chars().count() > NAME_MAX {
        cx.report(
            rules::CONFIG_VALUE_INVALID,
            &name_at,
            format!("an API key's name must be 1 to {NAME_MAX} characters"),
        );
        return None;
    }
    let value = match f.get("Value") {
        None => None,
        Some(v) => {
            let text = fields::string(cx, &v, "the key's `Value`")?;
            if let Err(why) = check_value(text) {
                cx.report(
                    rules::CONFIG_VALUE_INVALID,
                    &v,
                    format!("API key `{name}`: {why}"),
                );
                return None;
            }
            Some(text.to_string())
        }
    };
    let enabled = match f.get("Enabled") {
        Some(e) => fields::boolean(cx, &e, "`Enabled`")?,
        None => false,
    };
    if !enabled {
        let d = cx.report(
            rules::API_KEY_DISABLED,
            &f.get("Enabled").unwrap_or(name_at),
            format!("API key `{name}` is disabled: calls with it answer 403"),
        );
        if f.get("Enabled").is_none() {
            d.hint = Some("`Enabled` is false unless set, as in AWS: add `Enabled: true`".into());
        }
    }
    Some(ApiKeyConfig {
        name: name.to_string(),
        value,
        enabled,
        place: place(cx, at),
    })
}

/// AWS's rule for a key's value (20 to 128 characters, recorded), and what a header can
/// carry: visible ASCII, no spaces.
fn check_value(value: &str) -> Result<(), String> {
    let n = value.chars().count();
    if n < VALUE_MIN {
        return Err(format!(
            "the value must be at least {VALUE_MIN} characters (it has {n})"
        ));
    }
    if n > VALUE_MAX {
        return Err(format!(
            "the value must be at most {VALUE_MAX} characters (it has {n})"
        ));
    }
    if !value.bytes().all(|b| b.is_ascii_graphic()) {
        return Err("the value must be visible ASCII characters without spaces (it travels in the x-api-key header)".into());
    }
    Ok(())
}
