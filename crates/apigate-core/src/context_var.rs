//! `$context` variables, named once: what a `context.N` mapping source and a gateway-response
//! template's `$context.N` may read, resolved at load time so the runtime matches a variant,
//! never a name.
//!
//! The list is AWS's "`$context` variables for data models, authorizers, mapping templates, and
//! access logging" reference (developer guide); `authorizer.claims.X` and `authorizer.X`
//! (Lambda context keys) are open-ended.

use std::fmt;

macro_rules! context_vars {
    ($($(#[$doc:meta])* $variant:ident = $name:literal;)*) => {
        /// A `$context` variable. The fixed ones are a table; the authorizer's keys carry
        /// their name.
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub enum ContextVar {
            $($(#[$doc])* $variant,)*
            /// `authorizer.claims.X` (Cognito claims).
            AuthorizerClaim(String),
            /// `authorizer.X` other than `principalId` and `claims.*` (Lambda context keys).
            AuthorizerKey(String),
        }

        impl ContextVar {
            /// The fixed variables, in table order.
            pub const FIXED: &[ContextVar] = &[$(ContextVar::$variant),*];

            /// The fixed variable named `name` (without `context.`).
            fn fixed(name: &str) -> Option<ContextVar> {
                match name {
                    $($name => Some(ContextVar::$variant),)*
                    _ => None,
                }
            }

            /// The name after `context.` (`identity.sourceIp`).
            pub fn name(&self) -> std::borrow::Cow<'_, str> {
                match self {
                    $(ContextVar::$variant => std::borrow::Cow::Borrowed($name),)*
                    ContextVar::AuthorizerClaim(k) => format!("authorizer.claims.{k}").into(),
                    ContextVar::AuthorizerKey(k) => format!("authorizer.{k}").into(),
                }
            }
        }
    };
}

context_vars! {
    AccountId = "accountId";
    ApiId = "apiId";
    AwsEndpointRequestId = "awsEndpointRequestId";
    DeploymentId = "deploymentId";
    DomainName = "domainName";
    DomainPrefix = "domainPrefix";
    ExtendedRequestId = "extendedRequestId";
    HttpMethod = "httpMethod";
    IsCanaryRequest = "isCanaryRequest";
    Path = "path";
    Protocol = "protocol";
    RequestId = "requestId";
    RequestTime = "requestTime";
    RequestTimeEpoch = "requestTimeEpoch";
    ResourceId = "resourceId";
    ResourcePath = "resourcePath";
    Stage = "stage";
    WafResponseCode = "wafResponseCode";
    WebaclArn = "webaclArn";
    /// Templates only: not a mapping source (see [`ContextVar::is_mapping_source`]).
    IdentityAccessKey = "identity.accessKey";
    IdentityAccountId = "identity.accountId";
    IdentityApiKey = "identity.apiKey";
    IdentityApiKeyId = "identity.apiKeyId";
    IdentityCaller = "identity.caller";
    IdentityCognitoAuthenticationProvider = "identity.cognitoAuthenticationProvider";
    IdentityCognitoAuthenticationType = "identity.cognitoAuthenticationType";
    IdentityCognitoIdentityId = "identity.cognitoIdentityId";
    IdentityCognitoIdentityPoolId = "identity.cognitoIdentityPoolId";
    IdentityPrincipalOrgId = "identity.principalOrgId";
    IdentitySourceIp = "identity.sourceIp";
    IdentityUser = "identity.user";
    IdentityUserAgent = "identity.userAgent";
    IdentityUserArn = "identity.userArn";
    IdentityVpcId = "identity.vpcId";
    IdentityVpceId = "identity.vpceId";
    IdentityClientCertPem = "identity.clientCert.clientCertPem";
    IdentityClientCertSubjectDn = "identity.clientCert.subjectDN";
    IdentityClientCertIssuerDn = "identity.clientCert.issuerDN";
    IdentityClientCertSerialNumber = "identity.clientCert.serialNumber";
    IdentityClientCertNotBefore = "identity.clientCert.validity.notBefore";
    IdentityClientCertNotAfter = "identity.clientCert.validity.notAfter";
    AuthorizerPrincipalId = "authorizer.principalId";
    ErrorMessage = "error.message";
    ErrorMessageString = "error.messageString";
    ErrorResponseType = "error.responseType";
    ErrorValidationErrorString = "error.validationErrorString";
}

impl ContextVar {
    /// The variable `name` (without `context.`), or `None` when AWS defines no such variable.
    pub fn parse(name: &str) -> Option<ContextVar> {
        if let Some(var) = ContextVar::fixed(name) {
            return Some(var);
        }
        let rest = name.strip_prefix("authorizer.")?;
        let (key, claim) = match rest.strip_prefix("claims.") {
            Some(key) => (key, true),
            None => (rest, false),
        };
        let valid = !key.is_empty()
            && key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':' || c == '-');
        if !valid {
            return None;
        }
        Some(if claim {
            ContextVar::AuthorizerClaim(key.to_string())
        } else {
            ContextVar::AuthorizerKey(key.to_string())
        })
    }
}

impl ContextVar {
    /// Whether a `context.N` parameter mapping may read it (every variable but
    /// `identity.accessKey`, which templates alone read).
    pub fn is_mapping_source(&self) -> bool {
        *self != ContextVar::IdentityAccessKey
    }
}

impl fmt::Display for ContextVar {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name())
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for var in ContextVar::FIXED {
            assert_eq!(ContextVar::parse(&var.name()).as_ref(), Some(var));
        }
        assert_eq!(
            ContextVar::parse("identity.sourceIp"),
            Some(ContextVar::IdentitySourceIp)
        );
        assert_eq!(
            ContextVar::parse("authorizer.claims.email"),
            Some(ContextVar::AuthorizerClaim("email".into()))
        );
        assert_eq!(
            ContextVar::parse("authorizer.tenant"),
            Some(ContextVar::AuthorizerKey("tenant".into()))
        );
        assert_eq!(
            ContextVar::parse("authorizer.principalId"),
            Some(ContextVar::AuthorizerPrincipalId)
        );
        assert_eq!(
            ContextVar::parse("authorizer.claims.email")
                .unwrap()
                .to_string(),
            "authorizer.claims.email"
        );
        assert!(!ContextVar::IdentityAccessKey.is_mapping_source());
        for bad in [
            "nope",
            "authorizer.",
            "authorizer.claims.",
            "authorizer.a b",
        ] {
            assert_eq!(ContextVar::parse(bad), None, "{bad}");
        }
    }
}
