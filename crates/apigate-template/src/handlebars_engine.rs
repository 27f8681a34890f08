//! Handlebars as an opt-in template engine (`x-apigate-template-engine: handlebars`), an
//! apigate extension: API Gateway itself only runs VTL.
//!
//! A template sees one JSON document built per render from the same [`RenderInput`] the VTL
//! engine gets:
//!
//! | name | value |
//! |---|---|
//! | `input.body` | the payload as text |
//! | `input.json` | the payload parsed as JSON (null when it is not JSON) |
//! | `input.params.path` / `.querystring` / `.header` | the request parameters (last value of a repeated name) |
//! | `context` | `$context`, the same object VTL templates see |
//! | `stageVariables` | the stage variables |
//!
//! Helpers mirror `$util`: `escapeJavaScript`, `urlEncode`, `urlDecode`, `base64Encode`,
//! `base64Decode` (each takes a string), and `json` (any value as compact JSON). Output is not
//! HTML-escaped (templates produce JSON and XML). There are no overrides
//! (`$context.requestOverride` needs VTL's `#set`), no partials and no loops beyond the data,
//! so a render is bounded by the payload; the output-size limit still applies.

use handlebars::{
    Context, Handlebars, Helper, HelperResult, Output, RenderContext, RenderErrorReason,
};
use serde_json::{json, Map, Value};

use crate::aws_objects;
use crate::{Limit, Limits, ParseError, RenderError, RenderInput, Rendered};

/// The name the one template is registered under in its registry.
const NAME: &str = "template";

/// A Handlebars template, compiled at load time (`Send + Sync`).
#[derive(Debug)]
pub struct HandlebarsTemplate {
    registry: Handlebars<'static>,
}

impl HandlebarsTemplate {
    /// Compiles `source`; errors carry the template line and column when Handlebars gives them.
    pub fn parse(source: &str) -> Result<HandlebarsTemplate, ParseError> {
        let mut registry = Handlebars::new();
        registry.register_escape_fn(handlebars::no_escape);
        register_helpers(&mut registry);
        registry
            .register_template_string(NAME, source)
            .map_err(|e| {
                let (line, col) = e.pos().unwrap_or((1, 1));
                ParseError {
                    line: u32::try_from(line).unwrap_or(u32::MAX),
                    col: u32::try_from(col).unwrap_or(u32::MAX),
                    message: e.reason().to_string(),
                }
            })?;
        Ok(HandlebarsTemplate { registry })
    }

    /// Renders for one request.
    pub fn render(
        &self,
        input: &RenderInput<'_>,
        limits: &Limits,
    ) -> Result<Rendered, RenderError> {
        let output = self.registry.render(NAME, &data(input)).map_err(|e| {
            RenderError::MethodInvocation {
                message: format!("handlebars: {e}"),
            }
        })?;
        if output.len() > limits.max_output_bytes {
            return Err(RenderError::LimitExceeded(Limit::OutputBytes));
        }
        Ok(Rendered {
            output,
            ..Rendered::default()
        })
    }
}

/// The document a Handlebars template renders against.
fn data(input: &RenderInput<'_>) -> Value {
    let params = |pairs: &[(String, String)]| {
        // Later values of a repeated name win, as in VTL's single-value views.
        let map: Map<String, Value> = pairs
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        Value::Object(map)
    };
    json!({
        "input": {
            "body": input.body,
            "json": serde_json::from_str::<Value>(input.body).unwrap_or(Value::Null),
            "params": {
                "path": params(input.path),
                "querystring": params(input.querystring),
                "header": params(input.header),
            },
        },
        "context": input.context,
        "stageVariables": input.stage_variables,
    })
}

fn register_helpers(registry: &mut Handlebars<'static>) {
    string_helper(registry, "escapeJavaScript", |s| {
        Ok(aws_objects::escape_javascript(s))
    });
    string_helper(registry, "urlEncode", |s| Ok(aws_objects::url_encode(s)));
    string_helper(registry, "urlDecode", |s| {
        aws_objects::url_decode(s).map_err(|e| e.0)
    });
    string_helper(registry, "base64Encode", |s| {
        Ok(aws_objects::base64_encode(s))
    });
    string_helper(registry, "base64Decode", |s| {
        aws_objects::base64_decode(s).map_err(|e| e.0)
    });
    registry.register_helper(
        "json",
        Box::new(
            |h: &Helper<'_>,
             _: &Handlebars<'_>,
             _: &Context,
             _: &mut RenderContext<'_, '_>,
             out: &mut dyn Output|
             -> HelperResult {
                let value = h.param(0).map(|p| p.value().clone()).unwrap_or(Value::Null);
                out.write(&value.to_string())?;
                Ok(())
            },
        ),
    );
}

/// Registers `name` as a helper applying `f` to its one string parameter (a non-string
/// parameter is used as its JSON text).
fn string_helper(
    registry: &mut Handlebars<'static>,
    name: &'static str,
    f: fn(&str) -> Result<String, String>,
) {
    registry.register_helper(
        name,
        Box::new(
            move |h: &Helper<'_>,
                  _: &Handlebars<'_>,
                  _: &Context,
                  _: &mut RenderContext<'_, '_>,
                  out: &mut dyn Output|
                  -> HelperResult {
                let arg = match h.param(0).map(|p| p.value()) {
                    Some(Value::String(s)) => s.clone(),
                    Some(Value::Null) | None => String::new(),
                    Some(other) => other.to_string(),
                };
                let result =
                    f(&arg).map_err(|why| RenderErrorReason::Other(format!("{name}: {why}")))?;
                out.write(&result)?;
                Ok(())
            },
        ),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn render(template: &str, body: &str) -> Result<String, RenderError> {
        let t = HandlebarsTemplate::parse(template).unwrap();
        let path = vec![("id".to_string(), "7".to_string())];
        let qs = vec![
            ("q".to_string(), "a".to_string()),
            ("q".to_string(), "b".to_string()),
        ];
        let header = vec![("Accept".to_string(), "application/json".to_string())];
        let context = json!({"requestId": "r-1", "identity": {"sourceIp": "127.0.0.1"}});
        let stage = BTreeMap::from([("env".to_string(), "dev".to_string())]);
        let input = RenderInput {
            body,
            path: &path,
            querystring: &qs,
            header: &header,
            context: &context,
            stage_variables: &stage,
        };
        t.render(&input, &Limits::default()).map(|r| r.output)
    }

    #[test]
    fn sees_input_context_and_stage_variables() {
        let out = render(
            r#"{"id": "{{input.params.path.id}}", "q": "{{input.params.querystring.q}}", "accept": "{{input.params.header.Accept}}", "name": "{{input.json.pet.name}}", "pet": {{json input.json.pet}}, "rid": "{{context.requestId}}", "env": "{{stageVariables.env}}"}"#,
            r#"{"pet": {"name": "<Rex>", "age": 3}}"#,
        )
        .unwrap();
        assert_eq!(
            out,
            r#"{"id": "7", "q": "b", "accept": "application/json", "name": "<Rex>", "pet": {"name":"<Rex>","age":3}, "rid": "r-1", "env": "dev"}"#
        );
    }

    #[test]
    fn util_helpers_behave_as_vtl_util() {
        let out = render(
            r#"{{base64Encode input.body}}|{{base64Decode "aGk="}}|{{urlEncode "a b&c"}}|{{urlDecode "a+b%26c"}}|{{escapeJavaScript input.json.q}}"#,
            r#"{"q": "it's \"x\""}"#,
        )
        .unwrap();
        assert_eq!(
            out,
            r#"eyJxIjogIml0J3MgXCJ4XCIifQ==|hi|a+b%26c|a b&c|it\'s \"x\""#
        );
    }

    #[test]
    fn bad_base64_fails_the_render_and_bad_syntax_is_located() {
        assert!(render("{{base64Decode \"***\"}}", "").is_err());
        let e = HandlebarsTemplate::parse("line one\n{{#if x}}never closed").unwrap_err();
        assert_eq!(e.line, 2, "{e}");
    }

    #[test]
    fn output_limit_applies() {
        let t = HandlebarsTemplate::parse("{{input.body}}{{input.body}}").unwrap();
        let empty = Vec::new();
        let context = json!({});
        let stage = BTreeMap::new();
        let body = "x".repeat(600);
        let input = RenderInput {
            body: &body,
            path: &empty,
            querystring: &empty,
            header: &empty,
            context: &context,
            stage_variables: &stage,
        };
        let limits = Limits {
            max_output_bytes: 1000,
            ..Limits::default()
        };
        assert_eq!(
            t.render(&input, &limits).unwrap_err(),
            RenderError::LimitExceeded(Limit::OutputBytes)
        );
    }
}
