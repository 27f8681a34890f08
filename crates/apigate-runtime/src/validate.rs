//! The validate stage: the method's request validator (`x-amazon-apigateway-request-validator`)
//! checks that required parameters are present and non-blank (400 BAD_REQUEST_PARAMETERS) and,
//! with `validateRequestBody`, that the body satisfies the model for its Content-Type (400
//! BAD_REQUEST_BODY, `$context.error.validationErrorString` saying why). Models are compiled at
//! load time (`apigate_core::body_validation`); here the body is read whole, checked, and
//! passed on unchanged.

use crate::body::{self, Body};
use crate::error::{GatewayError, ResponseType};
use crate::lifecycle::Gateway;
use crate::map_request::Payload;
use crate::request::{header_text, MethodRequest};
use apigate_core::body_validation;
use apigate_core::mapping::ParamLocation;
use apigate_core::model::RequestValidator;
use apigate_core::Method;
use http::header::CONTENT_TYPE;
use http::request::Parts;

/// The request validator in force for `method`, if any.
fn validator<'g>(gw: &'g Gateway, method: &Method) -> Option<&'g RequestValidator> {
    method
        .request_validator
        .as_ref()
        .and_then(|name| gw.api.request_validators.get(name))
}

/// Parameter validation, when the method's validator asks for it.
pub fn validate(
    gw: &Gateway,
    method: &Method,
    request: &MethodRequest<'_>,
) -> Result<(), GatewayError> {
    if !validator(gw, method).is_some_and(|v| v.validate_request_parameters) {
        return Ok(());
    }
    let missing: Vec<&str> = method
        .parameters
        .iter()
        .filter(|p| p.required)
        .filter(|p| {
            let value = match p.location {
                ParamLocation::Path => request.path(&p.name).map(str::to_string),
                ParamLocation::QueryString => request.query_last(&p.name).map(str::to_string),
                ParamLocation::Header => request.header_last(&p.name).map(|v| v.into_owned()),
            };
            value.is_none_or(|v| v.trim().is_empty())
        })
        .map(|p| p.name.as_str())
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    let message = format!(
        "Missing required request parameters: [{}]",
        missing.join(", ")
    );
    Err(GatewayError::with_message(
        ResponseType::BadRequestParameters,
        message.clone(),
        message,
    ))
}

/// Body validation, when the method's validator asks for it and a model matches the request's
/// Content-Type (none matching: the body is not checked, as AWS). The body is read whole
/// within `--buffer-limit` (413 past it) and handed on as it came.
pub async fn validate_body(
    gw: &Gateway,
    method: &Method,
    parts: &Parts,
    payload: Payload,
) -> Result<Payload, GatewayError> {
    if !validator(gw, method).is_some_and(|v| v.validate_request_body) {
        return Ok(payload);
    }
    let content_type = header_text(&parts.headers, CONTENT_TYPE);
    let Some(model) = body_validation::select(&method.request_models, content_type.as_deref())
    else {
        return Ok(payload);
    };
    let bytes = body::collect(payload.body, gw.settings.buffer_limit)
        .await
        .map_err(|e| e.into_gateway_error("request body"))?;
    if let Err(rejected) = model.schema.check(&bytes) {
        let why = rejected.validation_error_string;
        let detail = format!(
            "Request body does not match model schema for content type {}: {why}",
            model.content_type
        );
        return Err(GatewayError::invalid_body(why, detail));
    }
    let length = Some(bytes.len() as u64);
    let body: Body = body::full(bytes);
    Ok(Payload { body, length })
}
