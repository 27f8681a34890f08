//! Mapping-template selection (semantics §6.1/§6.2) and rendering.
//!
//! Until the VTL engine lands, only templates without VTL syntax (no `$` and no `#`) are
//! rendered — they are their own output, so literal JSON bodies, empty templates and mock
//! `{"statusCode": 200}` templates work. Any other template fails closed with a 500 that names
//! the reason, and `validate` reports it (rule `template-not-executed`).

use crate::error::{GatewayError, ResponseType};
use apigate_core::media::essence;
use apigate_core::model::Passthrough;

/// What to do with the request body of a non-proxy integration.
#[derive(Debug, PartialEq, Eq)]
pub enum RequestBodyPlan<'t> {
    /// Render this template.
    Transform(&'t str),
    /// Send the (converted) body as it came.
    Passthrough,
}

/// Picks the request template by the MIME type of `Content-Type` (absent = `application/json`),
/// applying `passthroughBehavior` when none matches: 415 where AWS refuses.
pub fn request_plan<'t>(
    templates: &'t [(String, String)],
    passthrough: Passthrough,
    content_type: Option<&str>,
) -> Result<RequestBodyPlan<'t>, GatewayError> {
    let key = content_type.map_or("application/json", essence);
    if let Some((_, t)) = templates.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)) {
        return Ok(RequestBodyPlan::Transform(t));
    }
    let refuse = match passthrough {
        Passthrough::WhenNoMatch => false,
        Passthrough::WhenNoTemplates => !templates.is_empty(),
        Passthrough::Never => true,
    };
    if refuse {
        return Err(GatewayError::new(
            ResponseType::UnsupportedMediaType,
            format!(
                "no mapping template for content type {key} and passthroughBehavior refuses it"
            ),
        ));
    }
    Ok(RequestBodyPlan::Passthrough)
}

/// Picks the response template by the first `Accept` type: that key, else
/// `application/json`, else the first template in document order; `None` = pass the body.
pub fn response_template<'t>(
    templates: &'t [(String, String)],
    accept: Option<&str>,
) -> Option<&'t str> {
    let first_accept = accept
        .and_then(|a| a.split(',').next())
        .map(essence)
        .unwrap_or("application/json");
    templates
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(first_accept))
        .or_else(|| {
            templates
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("application/json"))
        })
        .or_else(|| templates.first())
        .map(|(_, t)| t.as_str())
}

/// Whether a template is plain text to VTL (renders as itself).
pub fn is_literal(template: &str) -> bool {
    !template.contains(['$', '#'])
}

/// Renders a template; fails closed for VTL until the engine exists.
pub fn render(template: &str) -> Result<String, GatewayError> {
    if is_literal(template) {
        Ok(template.to_string())
    } else {
        Err(GatewayError::unsupported("a VTL mapping template"))
    }
}

/// The integration-response selector of a mock integration: the `statusCode` of the rendered
/// request template (`None`: no template, the default response applies).
pub fn mock_status(rendered: &str) -> Result<Option<String>, GatewayError> {
    if rendered.trim().is_empty() {
        return Ok(None);
    }
    let value: serde_json::Value = serde_json::from_str(rendered).map_err(|e| {
        GatewayError::configuration(format!("mock request template is not JSON: {e}"))
    })?;
    Ok(match value.get("statusCode") {
        Some(serde_json::Value::Number(n)) => Some(n.to_string()),
        Some(serde_json::Value::String(s)) => Some(s.clone()),
        _ => None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn passthrough_table() {
        use Passthrough::*;
        let some = t(&[("application/json", "{}")]);
        let none = t(&[]);
        let xml = Some("application/xml");
        let json = Some("application/json; charset=utf-8");
        for p in [WhenNoMatch, WhenNoTemplates, Never] {
            assert_eq!(
                request_plan(&some, p, json).unwrap(),
                RequestBodyPlan::Transform("{}")
            );
        }
        assert_eq!(
            request_plan(&some, WhenNoMatch, xml).unwrap(),
            RequestBodyPlan::Passthrough
        );
        assert!(request_plan(&some, WhenNoTemplates, xml).is_err());
        assert!(request_plan(&some, Never, xml).is_err());
        assert_eq!(
            request_plan(&none, WhenNoMatch, xml).unwrap(),
            RequestBodyPlan::Passthrough
        );
        assert_eq!(
            request_plan(&none, WhenNoTemplates, xml).unwrap(),
            RequestBodyPlan::Passthrough
        );
        let e = request_plan(&none, Never, xml).unwrap_err();
        assert_eq!(e.kind, ResponseType::UnsupportedMediaType);
        // No Content-Type selects the application/json template.
        assert_eq!(
            request_plan(&some, Never, None).unwrap(),
            RequestBodyPlan::Transform("{}")
        );
    }

    #[test]
    fn response_selection() {
        let ts = t(&[("application/xml", "x"), ("text/plain", "p")]);
        assert_eq!(response_template(&ts, Some("text/plain, */*")), Some("p"));
        assert_eq!(response_template(&ts, Some("image/png")), Some("x"));
        let ts = t(&[("application/xml", "x"), ("application/json", "j")]);
        assert_eq!(response_template(&ts, None), Some("j"));
        assert_eq!(response_template(&ts, Some("*/*")), Some("j"));
        assert_eq!(response_template(&[], Some("*/*")), None);
    }

    #[test]
    fn literal_templates_and_mock_status() {
        assert_eq!(
            render("{\"statusCode\": 200}").unwrap(),
            "{\"statusCode\": 200}"
        );
        assert!(render("$input.body").is_err());
        assert_eq!(
            mock_status("{\"statusCode\": 404}").unwrap().as_deref(),
            Some("404")
        );
        assert_eq!(mock_status("").unwrap(), None);
        assert!(mock_status("nope").is_err());
    }
}
