//! Reading one object of the config file against its CloudFormation property list: the
//! properties apigate applies, those it accepts and ignores (reported, so nobody believes a
//! cache or a log is configured), and anything else (an error: a misspelt limit must not
//! silently not apply). Values are read as CloudFormation reads them: numbers and booleans
//! may be written as strings (`"100"`, `"true"`), as templates often quote them.

use crate::diag::Pos;
use crate::load::cx::{At, Cx, KeyAt};
use crate::rules;
use crate::source::Value;

use super::Place;

/// The members of one object, once its keys were checked.
#[derive(Debug)]
pub(crate) struct Fields<'n> {
    found: Vec<(&'static str, At<'n>)>,
    /// The object itself (for "missing field" diagnostics).
    pub at: At<'n>,
}

impl<'n> Fields<'n> {
    /// The applied property `name`, if the object has it (the last one if repeated).
    pub fn get(&self, name: &str) -> Option<At<'n>> {
        self.found
            .iter()
            .rev()
            .find(|(n, _)| *n == name)
            .map(|(_, at)| *at)
    }

    /// The applied property `name`, or a `missing-field` diagnostic naming `what`.
    pub fn require(&self, cx: &mut Cx<'_>, name: &str, what: &str) -> Option<At<'n>> {
        let found = self.get(name);
        if found.is_none() {
            let pointer = cx.pointer_of(self.at.node);
            cx.report_at(
                rules::MISSING_FIELD,
                pointer,
                self.at.node.pos,
                format!("{what} has no `{name}`"),
            );
        }
        found
    }

    /// The applied property `name` as a string, with where it is; else a `missing-field` or
    /// `invalid-type` diagnostic (`what` names the object).
    pub fn required_string(
        &self,
        cx: &mut Cx<'_>,
        name: &str,
        what: &str,
    ) -> Option<(At<'n>, &'n str)> {
        let at = self.require(cx, name, what)?;
        let text = string(cx, &at, &format!("`{name}`"))?;
        Some((at, text))
    }
}

/// Checks the keys of the object at `at` (`what` names it in messages): `applied` are read
/// by the caller through [`Fields`], `ignored` are reported as `config-field-ignored`, any
/// other key as `config-field-unknown` (with the nearest known name as a hint). `None` when
/// the node is not an object (reported).
pub(crate) fn fields<'n>(
    cx: &mut Cx<'_>,
    at: &At<'n>,
    what: &str,
    applied: &[&'static str],
    ignored: &[&'static str],
) -> Option<Fields<'n>> {
    let entries = cx.object(at, what)?;
    let mut found = Vec::with_capacity(entries.len());
    for (key, value) in entries {
        let name = key.text.as_str();
        if let Some(known) = applied.iter().find(|k| **k == name) {
            found.push((*known, value));
        } else if ignored.contains(&name) {
            cx.report_hint(
                rules::CONFIG_FIELD_IGNORED,
                &KeyAt(key, &value),
                format!("`{name}` of {what} is accepted but not applied by apigate"),
                "see docs/PARITY.md (the deployment config file)",
            );
        } else {
            let known: Vec<&str> = applied.iter().chain(ignored).copied().collect();
            let hint = match closest(name, &known) {
                Some(near) => format!("did you mean `{near}`? ({what} takes {})", known.join(", ")),
                None => format!("{what} takes {}", known.join(", ")),
            };
            cx.report_hint(
                rules::CONFIG_FIELD_UNKNOWN,
                &KeyAt(key, &value),
                format!("`{name}` is not a property of {what}"),
                hint,
            );
        }
    }
    Some(Fields { found, at: *at })
}

/// The known name `name` most likely meant: the same letters in another case (`stageName`),
/// or at most two edits away.
fn closest<'a>(name: &str, known: &[&'a str]) -> Option<&'a str> {
    if let Some(k) = known.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        return Some(k);
    }
    known
        .iter()
        .map(|k| {
            (
                edit_distance(&name.to_ascii_lowercase(), &k.to_ascii_lowercase()),
                *k,
            )
        })
        .filter(|(d, _)| *d <= 2)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// Levenshtein distance over bytes (names are ASCII; anything else only costs more).
fn edit_distance(a: &str, b: &str) -> usize {
    let b = b.as_bytes();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.bytes().enumerate() {
        let mut diagonal = i;
        let mut left = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let up = row.get(j + 1).copied().unwrap_or(usize::MAX);
            let cost = diagonal + usize::from(ca != *cb);
            let next = cost.min(up.saturating_add(1)).min(left + 1);
            diagonal = up;
            left = next;
            if let Some(cell) = row.get_mut(j + 1) {
                *cell = next;
            }
        }
        if let Some(first) = row.first_mut() {
            *first = i + 1;
        }
    }
    row.last().copied().unwrap_or(0)
}

/// Where `at` is, for checks made after loading.
pub(crate) fn place(cx: &mut Cx<'_>, at: &At<'_>) -> Place {
    Place {
        pointer: cx.pointer_of(at.node),
        pos: at.node.pos,
    }
}

/// A number (or a numeric string), finite and within `min..=max`; else a diagnostic.
pub(crate) fn number(cx: &mut Cx<'_>, at: &At<'_>, what: &str, min: f64, max: f64) -> Option<f64> {
    let n = match &at.node.value {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if n.is_finite() && n >= min && n <= max => Some(n),
        Some(n) => {
            out_of_range(cx, at, what, &n.to_string(), &format!("{min} to {max}"));
            None
        }
        None => {
            not_a(cx, at, what, "a number");
            None
        }
    }
}

/// A whole number (or one written as a string) within `min..=max`; else a diagnostic.
pub(crate) fn integer(cx: &mut Cx<'_>, at: &At<'_>, what: &str, min: i64, max: i64) -> Option<i64> {
    let n = match &at.node.value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    match n {
        Some(n) if (min..=max).contains(&n) => Some(n),
        Some(n) => {
            out_of_range(cx, at, what, &n.to_string(), &format!("{min} to {max}"));
            None
        }
        None => {
            not_a(cx, at, what, "a whole number");
            None
        }
    }
}

/// A boolean (or `"true"`/`"false"`); else a diagnostic.
pub(crate) fn boolean(cx: &mut Cx<'_>, at: &At<'_>, what: &str) -> Option<bool> {
    match &at.node.value {
        Value::Bool(b) => Some(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Some(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Some(false),
        _ => {
            not_a(cx, at, what, "true or false");
            None
        }
    }
}

/// A string; else a diagnostic (with a word on CloudFormation's functions, which are not
/// evaluated here).
pub(crate) fn string<'n>(cx: &mut Cx<'_>, at: &At<'n>, what: &str) -> Option<&'n str> {
    if let Some(s) = at.str() {
        return Some(s);
    }
    not_a(cx, at, what, "a string");
    None
}

fn not_a(cx: &mut Cx<'_>, at: &At<'_>, what: &str, expected: &str) {
    let found = at.node.type_name();
    let intrinsic = at
        .node
        .as_object()
        .and_then(|e| e.first())
        .is_some_and(|(k, _)| k.text.starts_with("Fn::") || k.text == "Ref");
    let d = cx.report(
        rules::INVALID_TYPE,
        at,
        format!("{what} must be {expected}, found {found}"),
    );
    if intrinsic {
        d.hint = Some(
            "CloudFormation functions (Ref, Fn::*) are not evaluated: write the value itself"
                .into(),
        );
    }
}

fn out_of_range(cx: &mut Cx<'_>, at: &At<'_>, what: &str, found: &str, range: &str) {
    cx.report(
        rules::CONFIG_VALUE_INVALID,
        at,
        format!("{what} is {found}; it must be {range}"),
    );
}

/// The position of the document itself (problems of the file as a whole).
pub(crate) const START: Pos = Pos { line: 1, col: 1 };

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_prefers_case_then_small_edits() {
        let known = ["StageName", "Variables", "MethodSettings"];
        assert_eq!(closest("stageName", &known), Some("StageName"));
        assert_eq!(closest("Variable", &known), Some("Variables"));
        assert_eq!(closest("MethodSetings", &known), Some("MethodSettings"));
        assert_eq!(closest("Throttle", &known), None);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
    }
}
