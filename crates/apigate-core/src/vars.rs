//! AWS import variables (`${AWS::AccountId}`, `${AWS::Partition}`, `${AWS::Region}`),
//! substituted in every string of the document before it is interpreted, as AWS's import does.

use crate::diag::{Diagnostic, Diagnostics};
use crate::rules;
use crate::source::{Node, Value};

/// Values for the import variables.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportVariables {
    pub account_id: String,
    pub partition: String,
    pub region: String,
}

impl Default for ImportVariables {
    fn default() -> Self {
        ImportVariables {
            account_id: "000000000000".into(),
            partition: "aws".into(),
            region: "us-east-1".into(),
        }
    }
}

/// Replaces the variables in every string value and key of `node`; unknown `${AWS::X}` names
/// are reported. The loader calls it only when the reader saw a `${AWS::` (`Facts`).
pub fn substitute(node: &mut Node, vars: &ImportVariables, diags: &mut Diagnostics) {
    walk(node, vars, &mut String::new(), diags);
}

/// Whether `s` holds `${AWS::`. A byte search for `$` first: nearly no string has one, and
/// it costs far less than a substring search on every key and value.
pub(crate) fn mentions(s: &str) -> bool {
    s.as_bytes().contains(&b'$') && s.contains("${AWS::")
}

fn walk(node: &mut Node, vars: &ImportVariables, ptr: &mut String, diags: &mut Diagnostics) {
    match &mut node.value {
        Value::String(s) => {
            if mentions(s) {
                *s = replace(s, vars, ptr, node.pos, diags).into();
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter_mut().enumerate() {
                let len = ptr.len();
                ptr.push('/');
                ptr.push_str(&i.to_string());
                walk(item, vars, ptr, diags);
                ptr.truncate(len);
            }
        }
        Value::Object(entries) => {
            for (k, v) in entries.iter_mut() {
                let len = ptr.len();
                crate::diag::push_pointer_token(ptr, &k.text);
                if mentions(&k.text) {
                    k.text = replace(&k.text, vars, ptr, k.pos, diags).into();
                }
                walk(v, vars, ptr, diags);
                ptr.truncate(len);
            }
        }
        Value::Null | Value::Bool(_) | Value::Number(_) => {}
    }
}

fn replace(
    s: &str,
    vars: &ImportVariables,
    ptr: &str,
    pos: crate::diag::Pos,
    diags: &mut Diagnostics,
) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("${AWS::") {
        let (before, at) = rest.split_at(i);
        out.push_str(before);
        let after = at.get(7..).unwrap_or("");
        let Some(end) = after.find('}') else {
            out.push_str(at);
            return out;
        };
        let name = after.get(..end).unwrap_or("");
        match name {
            "AccountId" => out.push_str(&vars.account_id),
            "Partition" => out.push_str(&vars.partition),
            "Region" => out.push_str(&vars.region),
            other => {
                diags.push(Diagnostic {
                    severity: rules::IMPORT_VARIABLE_UNKNOWN.severity,
                    rule: rules::IMPORT_VARIABLE_UNKNOWN.id,
                    message: format!("`${{AWS::{other}}}` is not an AWS import variable"),
                    pointer: ptr.to_string(),
                    pos,
                    hint: Some("use ${AWS::AccountId}, ${AWS::Partition} or ${AWS::Region}".into()),
                });
                out.push_str(at.get(..end + 8).unwrap_or(""));
            }
        }
        rest = after.get(end + 1..).unwrap_or("");
    }
    out.push_str(rest);
    out
}
