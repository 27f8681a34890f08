//! The INI dialect of AWS's shared-credentials and config files: `[name]` or
//! `[profile name]` sections of `name = value` settings, `#`/`;` comments, indented
//! sub-settings under a setting with an empty value (skipped).

use std::collections::HashMap;

/// One `[name]` section of an INI file.
pub(crate) struct IniSection {
    pub(crate) name: String,
    /// 1-based line of the section's (first) header.
    pub(crate) line: usize,
    /// Lower-cased setting name → (value, 1-based line).
    values: HashMap<String, (String, usize)>,
}

impl IniSection {
    /// A setting's value and 1-based line.
    pub(crate) fn value(&self, name: &str) -> Option<(&str, usize)> {
        self.values
            .get(name)
            .map(|(value, line)| (value.as_str(), *line))
    }
}

/// The sections of `text`, in order of first appearance (a repeated header continues its
/// section). Errors name the line and never quote it: it may hold a secret.
pub(crate) fn parse_ini(text: &str) -> Result<Vec<IniSection>, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut sections: Vec<IniSection> = Vec::new();
    let mut current: Option<usize> = None;
    // Inside an indented block under a setting with an empty value
    // (`s3 =` followed by `  max_concurrent_requests = 4`).
    let mut in_sub_block = false;
    for (index, raw) in text.lines().enumerate() {
        let number = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let indented = raw.starts_with([' ', '\t']);
        if indented && in_sub_block {
            continue;
        }
        in_sub_block = false;
        if let Some(rest) = line.strip_prefix('[') {
            let Some((inner, after)) = rest.split_once(']') else {
                return Err(format!(
                    "line {number}: section header is missing its closing `]`"
                ));
            };
            let after = after.trim();
            if !(after.is_empty() || after.starts_with('#') || after.starts_with(';')) {
                return Err(format!(
                    "line {number}: unexpected text after the section header"
                ));
            }
            let inner = inner.trim();
            let name = inner
                .strip_prefix("profile ")
                .map(str::trim)
                .unwrap_or(inner);
            if name.is_empty() {
                return Err(format!("line {number}: empty profile name"));
            }
            current = match sections.iter().position(|s| s.name == name) {
                Some(existing) => Some(existing),
                None => {
                    sections.push(IniSection {
                        name: name.to_owned(),
                        line: number,
                        values: HashMap::new(),
                    });
                    Some(sections.len().saturating_sub(1))
                }
            };
            continue;
        }
        let Some((name, value)) = line.split_once('=') else {
            // Do not echo the line: it may hold a secret.
            return Err(format!(
                "line {number}: expected a `[profile]` header or a `name = value` setting"
            ));
        };
        let name = name.trim().to_ascii_lowercase();
        if name.is_empty() {
            return Err(format!("line {number}: setting has no name"));
        }
        let Some(section) = current.and_then(|i| sections.get_mut(i)) else {
            return Err(format!(
                "line {number}: setting `{name}` is outside any [profile] section"
            ));
        };
        let value = value.trim();
        in_sub_block = value.is_empty();
        section.values.insert(name, (value.to_owned(), number));
    }
    Ok(sections)
}
