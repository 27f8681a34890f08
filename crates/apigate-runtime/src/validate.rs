//! The validate stage: the method's request validator (`x-amazon-apigateway-request-validator`)
//! checks that required parameters are present and non-blank (400 BAD_REQUEST_PARAMETERS);
//! body models are not checked yet and fail closed.

use crate::error::{GatewayError, ResponseType};
use crate::lifecycle::Gateway;
use crate::request::MethodRequest;
use apigate_core::mapping::ParamLocation;
use apigate_core::Method;

/// Runs the method's request validator, if it has one.
pub fn validate(
    gw: &Gateway,
    method: &Method,
    request: &MethodRequest<'_>,
) -> Result<(), GatewayError> {
    let Some(validator) = method
        .request_validator
        .as_ref()
        .and_then(|name| gw.api.request_validators.get(name))
    else {
        return Ok(());
    };
    if validator.validate_request_parameters {
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
        if !missing.is_empty() {
            let message = format!(
                "Missing required request parameters: [{}]",
                missing.join(", ")
            );
            return Err(GatewayError::with_message(
                ResponseType::BadRequestParameters,
                message.clone(),
                message,
            ));
        }
    }
    if validator.validate_request_body {
        return Err(GatewayError::unsupported(
            "request body validation against a model",
        ));
    }
    Ok(())
}
