//! Every way a request can fail, bound at its declaration to the API Gateway gateway-response
//! type (and so the status and default message) it becomes.

use std::fmt;

/// API Gateway's gateway-response types that the runtime can raise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResponseType {
    AccessDenied,
    ApiConfigurationError,
    AuthorizerConfigurationError,
    BadRequestParameters,
    BadRequestBody,
    ExpiredToken,
    IntegrationFailure,
    IntegrationTimeout,
    InvalidApiKey,
    InvalidSignature,
    MissingAuthenticationToken,
    RequestTooLarge,
    Unauthorized,
    UnsupportedMediaType,
}

impl ResponseType {
    /// The name used in `x-amazon-apigateway-gateway-responses` and `$context.error.responseType`.
    pub fn name(self) -> &'static str {
        match self {
            ResponseType::AccessDenied => "ACCESS_DENIED",
            ResponseType::ApiConfigurationError => "API_CONFIGURATION_ERROR",
            ResponseType::AuthorizerConfigurationError => "AUTHORIZER_CONFIGURATION_ERROR",
            ResponseType::BadRequestParameters => "BAD_REQUEST_PARAMETERS",
            ResponseType::BadRequestBody => "BAD_REQUEST_BODY",
            ResponseType::ExpiredToken => "EXPIRED_TOKEN",
            ResponseType::IntegrationFailure => "INTEGRATION_FAILURE",
            ResponseType::IntegrationTimeout => "INTEGRATION_TIMEOUT",
            ResponseType::InvalidApiKey => "INVALID_API_KEY",
            ResponseType::InvalidSignature => "INVALID_SIGNATURE",
            ResponseType::MissingAuthenticationToken => "MISSING_AUTHENTICATION_TOKEN",
            ResponseType::RequestTooLarge => "REQUEST_TOO_LARGE",
            ResponseType::Unauthorized => "UNAUTHORIZED",
            ResponseType::UnsupportedMediaType => "UNSUPPORTED_MEDIA_TYPE",
        }
    }

    /// The status AWS gives the type when the API does not customise it.
    pub fn default_status(self) -> u16 {
        match self {
            ResponseType::AccessDenied
            | ResponseType::ExpiredToken
            | ResponseType::InvalidApiKey
            | ResponseType::InvalidSignature
            | ResponseType::MissingAuthenticationToken => 403,
            ResponseType::ApiConfigurationError | ResponseType::AuthorizerConfigurationError => 500,
            ResponseType::BadRequestParameters | ResponseType::BadRequestBody => 400,
            ResponseType::IntegrationFailure | ResponseType::IntegrationTimeout => 504,
            ResponseType::RequestTooLarge => 413,
            ResponseType::Unauthorized => 401,
            ResponseType::UnsupportedMediaType => 415,
        }
    }

    /// The `x-amzn-ErrorType` header AWS sends with the type's default response.
    pub fn error_type_header(self) -> Option<&'static str> {
        match self {
            ResponseType::AccessDenied => Some("AccessDeniedException"),
            ResponseType::BadRequestParameters | ResponseType::BadRequestBody => {
                Some("BadRequestException")
            }
            ResponseType::ExpiredToken | ResponseType::InvalidSignature => {
                Some("InvalidSignatureException")
            }
            ResponseType::InvalidApiKey => Some("ForbiddenException"),
            ResponseType::MissingAuthenticationToken => Some("MissingAuthenticationTokenException"),
            ResponseType::Unauthorized => Some("UnauthorizedException"),
            // Backend failures and timeouts (observed on AWS, not documented).
            ResponseType::IntegrationFailure | ResponseType::IntegrationTimeout => {
                Some("InternalServerErrorException")
            }
            _ => None,
        }
    }

    /// AWS's default client-facing message for the type.
    pub fn default_message(self) -> &'static str {
        match self {
            ResponseType::AccessDenied => {
                "User is not authorized to access this resource with an explicit deny"
            }
            ResponseType::ApiConfigurationError
            | ResponseType::AuthorizerConfigurationError
            | ResponseType::IntegrationFailure => "Internal server error",
            ResponseType::BadRequestParameters => "Missing required request parameters",
            ResponseType::BadRequestBody => "Invalid request body",
            ResponseType::ExpiredToken => "Signature expired",
            ResponseType::IntegrationTimeout => "Endpoint request timed out",
            ResponseType::InvalidApiKey => "Forbidden",
            ResponseType::InvalidSignature => "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
            ResponseType::MissingAuthenticationToken => "Missing Authentication Token",
            ResponseType::RequestTooLarge => "Request Too Long",
            ResponseType::Unauthorized => "Unauthorized",
            ResponseType::UnsupportedMediaType => "Unsupported Media Type",
        }
    }
}

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
}

impl GatewayError {
    /// An error with the type's default message.
    pub fn new(kind: ResponseType, detail: impl Into<String>) -> GatewayError {
        GatewayError {
            kind,
            message: kind.default_message().to_string(),
            detail: detail.into(),
            error_type: kind.error_type_header(),
        }
    }

    /// An error with its own client-facing message.
    pub fn with_message(
        kind: ResponseType,
        message: impl Into<String>,
        detail: impl Into<String>,
    ) -> GatewayError {
        GatewayError {
            message: message.into(),
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
