//! Why a request was refused, worded as AWS words it.

use std::fmt;

const MISMATCH_MESSAGE: &str = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.";

/// Why a request was refused; each maps to an API Gateway gateway response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuthFailure {
    /// No Authorization header and no X-Amz-Signature query parameter → 403
    /// `MISSING_AUTHENTICATION_TOKEN` "Missing Authentication Token".
    Missing,
    /// Malformed Authorization (missing Credential/SignedHeaders/Signature, bad
    /// scope, host not signed, no date) → 403 `IncompleteSignatureException`;
    /// the String is AWS-style wording naming what is wrong.
    Incomplete(String),
    /// Unknown access key (or a session token that does not belong to it) →
    /// 403 "The security token included in the request is invalid."
    UnknownKey,
    /// Signature mismatch → 403 `InvalidSignatureException`; the message
    /// appends the canonical request and string to sign, as AWS does.
    Mismatch {
        /// The canonical request the gateway computed.
        canonical_request: String,
        /// The string to sign the gateway computed.
        string_to_sign: String,
    },
    /// Clock skew > 5 min, or presigned URL expired → 403
    /// `InvalidSignatureException` "Signature expired: …".
    Expired(String),
}

impl AuthFailure {
    /// The response body's `message`, worded as AWS words it.
    pub fn message(&self) -> String {
        match self {
            AuthFailure::Missing => "Missing Authentication Token".to_owned(),
            AuthFailure::Incomplete(message) | AuthFailure::Expired(message) => message.clone(),
            AuthFailure::UnknownKey => {
                "The security token included in the request is invalid.".to_owned()
            }
            AuthFailure::Mismatch {
                canonical_request,
                string_to_sign,
            } => format!(
                "{MISMATCH_MESSAGE}\n\nThe Canonical String for this request should have been\n'{canonical_request}'\n\nThe String-to-Sign should have been\n'{string_to_sign}'\n"
            ),
        }
    }

    /// The `x-amzn-ErrorType` AWS sends with this failure.
    pub fn error_type(&self) -> &'static str {
        match self {
            AuthFailure::Missing => "MissingAuthenticationTokenException",
            AuthFailure::Incomplete(_) => "IncompleteSignatureException",
            AuthFailure::UnknownKey => "UnrecognizedClientException",
            AuthFailure::Mismatch { .. } | AuthFailure::Expired(_) => "InvalidSignatureException",
        }
    }

    /// The HTTP status: 403 for every failure.
    pub fn status(&self) -> http::StatusCode {
        http::StatusCode::FORBIDDEN
    }
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.error_type(), self.message())
    }
}

impl std::error::Error for AuthFailure {}
