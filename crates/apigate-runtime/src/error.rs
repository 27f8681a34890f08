//! Every way a request can fail, bound at its declaration to the API Gateway gateway-response
//! type it becomes; the type's status, default message and `x-amzn-ErrorType` come from core's
//! table (`apigate_core::response_types`).

use std::fmt;

pub use apigate_core::response_types::ResponseType;

/// A failed request: the gateway response it becomes, the message the client sees, and the
/// reason written to the log (never sent to the client, as AWS keeps it in execution logs).
#[derive(Debug, Clone)]
pub struct GatewayError {
    pub kind: ResponseType,
    /// `$context.error.message`.
    pub message: String,
    /// What went wrong, for the execution log.
    pub detail: String,
    /// Extra header AWS sends with some errors (`x-amzn-ErrorType` override).
    pub error_type: Option<&'static str>,
    /// AWS sends no message: `$context.error.messageString` is `null` (the default body is
    /// `{"message":null}`) and `$context.error.message` empty. True for the authorizer
    /// failure types (observed on AWS; docs/PARITY.md, authorizers).
    pub null_message: bool,
    /// The status AWS answers with when it is not the type's own (a malformed Lambda proxy
    /// answer is a 502 configuration error); a gateway-response customisation still wins.
    pub status: Option<u16>,
    /// `$context.error.validationErrorString`: why a body failed its model.
    pub validation_error: Option<String>,
}

impl GatewayError {
    /// An error with the type's default message.
    pub fn new(kind: ResponseType, detail: impl Into<String>) -> GatewayError {
        GatewayError {
            kind,
            message: kind.default_message().to_string(),
            detail: detail.into(),
            error_type: kind.error_type_header(),
            null_message: matches!(
                kind,
                ResponseType::AuthorizerConfigurationError | ResponseType::AuthorizerFailure
            ),
            status: None,
            validation_error: None,
        }
    }

    /// The same error answered with `status` instead of the type's default.
    pub fn with_status(self, status: u16) -> GatewayError {
        GatewayError {
            status: Some(status),
            ..self
        }
    }

    /// The status the client gets unless a gateway response customises it.
    pub fn status(&self) -> u16 {
        self.status.unwrap_or_else(|| self.kind.default_status())
    }

    /// An error with its own client-facing message.
    pub fn with_message(
        kind: ResponseType,
        message: impl Into<String>,
        detail: impl Into<String>,
    ) -> GatewayError {
        GatewayError {
            message: message.into(),
            null_message: false,
            ..GatewayError::new(kind, detail)
        }
    }

    /// `500 Internal server error` for a definition the runtime cannot execute (fail closed).
    pub fn configuration(detail: impl Into<String>) -> GatewayError {
        GatewayError::new(ResponseType::ApiConfigurationError, detail)
    }

    /// 400 `Bad Request` for a request whose path, query string or header values cannot be
    /// decoded without aliasing, or whose values would leave an integration's URI prefix
    /// (docs/PARITY.md, path safety).
    pub fn bad_request(detail: impl Into<String>) -> GatewayError {
        GatewayError::with_message(ResponseType::BadRequestParameters, "Bad Request", detail)
    }

    /// 400 `Invalid request body`: the body failed the method's model
    /// (`$context.error.validationErrorString` = `why`).
    pub fn invalid_body(why: String, detail: impl Into<String>) -> GatewayError {
        GatewayError {
            validation_error: Some(why),
            ..GatewayError::new(ResponseType::BadRequestBody, detail)
        }
    }

    /// A feature apigate validates but does not execute yet.
    pub fn unsupported(what: &str) -> GatewayError {
        GatewayError::configuration(format!(
            "Execution failed: {what} is not supported by apigate yet (see docs/PARITY.md)"
        ))
    }
}

impl fmt::Display for GatewayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind.name(), self.detail)
    }
}

impl std::error::Error for GatewayError {}
