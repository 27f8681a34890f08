//! API Gateway's gateway-response types, declared once: name, default status, default message
//! and `x-amzn-ErrorType`. Core checks `x-amazon-apigateway-gateway-responses` keys against it;
//! the runtime answers its errors from it (docs/PARITY.md, gateway responses).
//!
//! Statuses and names are AWS's documented table (developer guide, "Gateway response types");
//! messages and error types are what AWS sends where recorded, with the row's note saying
//! otherwise.

use std::fmt;

macro_rules! response_types {
    ($(
        $(#[$doc:meta])*
        $variant:ident = ($name:literal, $status:literal, $message:expr, $error_type:expr);
    )*) => {
        /// A gateway-response type AWS defines (the customisation classes `DEFAULT_4XX` and
        /// `DEFAULT_5XX` are [`GatewayResponseKey`]s, not types: no error is raised as one).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ResponseType {
            $($(#[$doc])* $variant,)*
        }

        impl ResponseType {
            /// Every type, in table order.
            pub const ALL: &[ResponseType] = &[$(ResponseType::$variant),*];

            /// The name used in `x-amazon-apigateway-gateway-responses` and
            /// `$context.error.responseType`.
            pub fn name(self) -> &'static str {
                match self { $(ResponseType::$variant => $name,)* }
            }

            /// The status AWS gives the type when the API does not customise it.
            pub fn default_status(self) -> u16 {
                match self { $(ResponseType::$variant => $status,)* }
            }

            /// AWS's default client-facing message for the type.
            pub fn default_message(self) -> &'static str {
                match self { $(ResponseType::$variant => $message,)* }
            }

            /// The `x-amzn-ErrorType` header AWS sends with the type's default response.
            pub fn error_type_header(self) -> Option<&'static str> {
                match self { $(ResponseType::$variant => $error_type,)* }
            }

            /// The type named `name` (exact, upper case).
            pub fn parse(name: &str) -> Option<ResponseType> {
                match name {
                    $($name => Some(ResponseType::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

const BAD_SIGNATURE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

response_types! {
    AccessDenied = ("ACCESS_DENIED", 403, "User is not authorized to access this resource with an explicit deny", Some("AccessDeniedException"));
    /// The error type recorded on AWS for configuration failures (a reserved header mapped
    /// onto an integration request: LocalStack's snapshot test_apigateway_header_remapping,
    /// recorded 2024-12-11).
    ApiConfigurationError = ("API_CONFIGURATION_ERROR", 500, "Internal server error", Some("InternalServerErrorException"));
    /// A Lambda or Cognito authorizer that fails, cannot be called or answers malformed. The
    /// error type is observed on AWS (docs/PARITY.md, Authorizers); AWS's message is `null`
    /// (the runtime's `GatewayError::null_message`), not the text here.
    AuthorizerConfigurationError = ("AUTHORIZER_CONFIGURATION_ERROR", 500, "Internal server error", Some("AuthorizerConfigurationException"));
    /// Never raised: no source shows it for Lambda or Cognito authorizers (docs/PARITY.md,
    /// Authorizers). The error type is LocalStack's reading of AWS, not recorded.
    AuthorizerFailure = ("AUTHORIZER_FAILURE", 500, "Internal server error", Some("AuthorizerFailureException"));
    BadRequestParameters = ("BAD_REQUEST_PARAMETERS", 400, "Missing required request parameters", Some("BadRequestException"));
    BadRequestBody = ("BAD_REQUEST_BODY", 400, "Invalid request body", Some("BadRequestException"));
    ExpiredToken = ("EXPIRED_TOKEN", 403, "Signature expired", Some("InvalidSignatureException"));
    /// Backend failures; the error type was observed on AWS, not documented.
    IntegrationFailure = ("INTEGRATION_FAILURE", 504, "Internal server error", Some("InternalServerErrorException"));
    /// Timeouts; the error type was observed on AWS, not documented.
    IntegrationTimeout = ("INTEGRATION_TIMEOUT", 504, "Endpoint request timed out", Some("InternalServerErrorException"));
    /// Not raised yet (API keys are not enforced; such methods answer 500).
    InvalidApiKey = ("INVALID_API_KEY", 403, "Forbidden", Some("ForbiddenException"));
    InvalidSignature = ("INVALID_SIGNATURE", 403, BAD_SIGNATURE, Some("InvalidSignatureException"));
    MissingAuthenticationToken = ("MISSING_AUTHENTICATION_TOKEN", 403, "Missing Authentication Token", Some("MissingAuthenticationTokenException"));
    /// Not raised yet (no usage plans). Error types from here on are LocalStack's reading of
    /// AWS, not recorded.
    QuotaExceeded = ("QUOTA_EXCEEDED", 429, "Limit Exceeded", Some("LimitExceededException"));
    RequestTooLarge = ("REQUEST_TOO_LARGE", 413, "Request Too Long", Some("RequestTooLargeException"));
    /// Not raised yet.
    ResourceNotFound = ("RESOURCE_NOT_FOUND", 404, "Not Found", Some("ResourceNotFoundException"));
    /// Not raised yet (no throttling).
    Throttled = ("THROTTLED", 429, "Too Many Requests", Some("TooManyRequestsException"));
    /// A missing identity, a Lambda authorizer's `Unauthorized`, a refused Cognito token.
    Unauthorized = ("UNAUTHORIZED", 401, "Unauthorized", Some("UnauthorizedException"));
    UnsupportedMediaType = ("UNSUPPORTED_MEDIA_TYPE", 415, "Unsupported Media Type", Some("BadRequestException"));
    /// Not raised yet (no WAF).
    WafFiltered = ("WAF_FILTERED", 403, "Forbidden", Some("ForbiddenException"));
}

impl fmt::Display for ResponseType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A key of `x-amazon-apigateway-gateway-responses`: one type, or the class default that
/// customises every 4XX or 5XX type without an entry of its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GatewayResponseKey {
    Type(ResponseType),
    Default4xx,
    Default5xx,
}

impl GatewayResponseKey {
    /// `DEFAULT_4XX`, `DEFAULT_5XX` or a [`ResponseType`] name.
    pub fn parse(name: &str) -> Option<GatewayResponseKey> {
        match name {
            "DEFAULT_4XX" => Some(GatewayResponseKey::Default4xx),
            "DEFAULT_5XX" => Some(GatewayResponseKey::Default5xx),
            other => ResponseType::parse(other).map(GatewayResponseKey::Type),
        }
    }

    /// The class default that applies to `kind` when it has no entry of its own.
    pub fn class_of(kind: ResponseType) -> GatewayResponseKey {
        if kind.default_status() >= 500 {
            GatewayResponseKey::Default5xx
        } else {
            GatewayResponseKey::Default4xx
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        assert_eq!(ResponseType::ALL.len(), 19);
        for &t in ResponseType::ALL {
            assert_eq!(ResponseType::parse(t.name()), Some(t));
            assert_eq!(
                GatewayResponseKey::parse(t.name()),
                Some(GatewayResponseKey::Type(t))
            );
        }
        assert_eq!(
            GatewayResponseKey::parse("DEFAULT_5XX"),
            Some(GatewayResponseKey::Default5xx)
        );
        assert_eq!(GatewayResponseKey::parse("default_4xx"), None);
        assert_eq!(
            GatewayResponseKey::class_of(ResponseType::IntegrationTimeout),
            GatewayResponseKey::Default5xx
        );
        assert_eq!(
            GatewayResponseKey::class_of(ResponseType::Throttled),
            GatewayResponseKey::Default4xx
        );
    }
}
