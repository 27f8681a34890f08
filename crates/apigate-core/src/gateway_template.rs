//! Gateway-response templates, split at load time into text and references.
//!
//! They are not VTL: only `$context.X` and `$stageVariables.X` references (also written
//! `${…}`) are substituted (AWS developer guide, "Set up gateway responses"); an unknown
//! variable renders as nothing, any other `$` stays as written.

use std::borrow::Cow;

use crate::context_var::ContextVar;

/// One piece of a gateway-response template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Part {
    Text(Cow<'static, str>),
    /// `$context.X`; `None` when X is no context variable (renders as nothing).
    Context(Option<ContextVar>),
    /// `$stageVariables.X`.
    StageVariable(String),
}

/// A parsed gateway-response template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GatewayTemplate {
    pub parts: Vec<Part>,
}

impl GatewayTemplate {
    /// Splits `template` into text and references; never fails.
    pub fn parse(template: &str) -> GatewayTemplate {
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut rest = template;
        while let Some(i) = rest.find('$') {
            let (before, at) = rest.split_at(i);
            text.push_str(before);
            let braced = at.starts_with("${");
            let body = at.get(if braced { 2 } else { 1 }..).unwrap_or_default();
            let end = body
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
                .unwrap_or(body.len());
            let name = body.get(..end).unwrap_or_default().trim_end_matches('.');
            let consumed = name.len();
            let closes = !braced || body.get(consumed..).is_some_and(|r| r.starts_with('}'));
            match closes.then(|| reference(name)).flatten() {
                Some(part) => {
                    if !text.is_empty() {
                        parts.push(Part::Text(Cow::Owned(std::mem::take(&mut text))));
                    }
                    parts.push(part);
                    let skip = if braced {
                        2 + consumed + 1
                    } else {
                        1 + consumed
                    };
                    rest = at.get(skip..).unwrap_or_default();
                }
                None => {
                    text.push('$');
                    rest = at.get(1..).unwrap_or_default();
                }
            }
        }
        text.push_str(rest);
        if !text.is_empty() {
            parts.push(Part::Text(Cow::Owned(text)));
        }
        GatewayTemplate { parts }
    }
}

/// `context.X` or `stageVariables.X`; `None` for other names, which stay literal.
fn reference(name: &str) -> Option<Part> {
    if let Some(var) = name.strip_prefix("context.") {
        return Some(Part::Context(ContextVar::parse(var)));
    }
    name.strip_prefix("stageVariables.")
        .map(|var| Part::StageVariable(var.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_references() {
        let t = GatewayTemplate::parse("${context.stage}/$stageVariables.env. $5 $context.nope!");
        assert_eq!(
            t.parts,
            vec![
                Part::Context(Some(ContextVar::Stage)),
                Part::Text("/".into()),
                Part::StageVariable("env".into()),
                Part::Text(". $5 ".into()),
                Part::Context(None),
                Part::Text("!".into()),
            ]
        );
        assert_eq!(
            GatewayTemplate::parse("${context.stage $context. x$").parts,
            vec![Part::Text("${context.stage $context. x$".into())]
        );
    }
}
