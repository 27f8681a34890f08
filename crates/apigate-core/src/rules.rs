//! The rule catalogue: every diagnostic `validate` can emit, with its stable id and severity.
//!
//! A rule's severity is fixed here, at its declaration, so one table says what is an error and
//! what is a warning. `docs/RULES.md` is generated from [`ALL`] (`apigate rules --markdown`) and
//! a test keeps the two in step.

use crate::diag::Severity::{self, Error, Warning};

/// One check `validate` performs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub id: &'static str,
    pub severity: Severity,
    pub summary: &'static str,
}

macro_rules! rules {
    ($($name:ident = ($id:literal, $sev:ident, $summary:literal);)*) => {
        $(pub const $name: Rule = Rule { id: $id, severity: $sev, summary: $summary };)*
        /// Every rule, in catalogue order.
        pub const ALL: &[Rule] = &[$($name),*];
    };
}

rules! {
    // The document as a whole.
    SYNTAX = ("syntax", Error, "The file is not well-formed JSON or YAML.");
    UNSUPPORTED_VERSION = ("unsupported-version", Error, "Only Swagger 2.0 and OpenAPI 3.0.x can be imported (AWS refuses 3.1 and anything else).");
    INVALID_TYPE = ("invalid-type", Error, "A field has the wrong JSON type (for example a string where an object is required).");
    MISSING_FIELD = ("missing-field", Error, "A required field is absent.");
    DUPLICATE_KEY = ("duplicate-key", Warning, "The same key appears twice in one object; the last one wins.");
    DEFINITION_TOO_LARGE = ("definition-too-large", Error, "AWS refuses definitions over 6 MB.");
    OPENAPI_SCHEMA = ("openapi-schema", Error, "The document does not conform to the OpenAPI 3.0 schema.");
    IMPORT_VARIABLE_UNKNOWN = ("import-variable-unknown", Error, "An `${AWS::...}` import variable other than AccountId, Partition or Region.");
    REF_UNRESOLVED = ("ref-unresolved", Error, "A `$ref` that does not point into this document (AWS does not follow external references).");
    BASE_PATH_INVALID = ("base-path-invalid", Error, "The basePath cannot name a stage (stage names use A-Z a-z 0-9 _ - only).");
    BASE_PATH_DROPPED = ("base-path-dropped", Warning, "Under basePath mode `ignore` only the first basePath segment (the stage) is kept.");

    // Paths and resources.
    PATH_INVALID = ("path-invalid", Error, "A path must start with `/` and use only A-Z a-z 0-9 _ - . , : and `{}` in its segments.");
    PATH_PARAM_PARTIAL = ("path-param-partial", Error, "A path parameter must be a whole segment (`/a/{p}`, not `/a{p}`).");
    GREEDY_NOT_LAST = ("greedy-not-last", Error, "A greedy `{name+}` segment must be the last segment of its path.");
    PATH_PARAM_DUPLICATE = ("path-param-duplicate", Error, "The same path parameter name appears twice in one path.");
    PATH_VARIABLE_SIBLING = ("path-variable-sibling", Error, "Two sibling resources both have a variable path part; API Gateway allows only one per level.");
    PATH_DUPLICATE = ("path-duplicate", Error, "Two paths name the same resource.");
    METHOD_UNSUPPORTED = ("method-unsupported", Warning, "An operation key API Gateway does not import (for example `trace`).");
    OPERATION_WITHOUT_INTEGRATION = ("integration-missing", Error, "A method has no `x-amazon-apigateway-integration`; AWS cannot deploy it and apigate cannot serve it.");

    // Method request: parameters and security.
    PARAMETER_INVALID = ("parameter-invalid", Error, "A parameter lacks a name or has an `in` API Gateway does not support.");
    PARAMETER_IGNORED = ("parameter-ignored", Warning, "A parameter location API Gateway ignores (cookie).");
    PATH_PARAM_UNKNOWN = ("path-param-unknown", Warning, "An `in: path` parameter that is not a variable of the operation's path.");
    ROOT_SECURITY_IGNORED = ("root-security-ignored", Warning, "Root-level `security` only sets a default Lambda or Cognito authorizer; IAM and API-key schemes there are ignored by API Gateway: put `security` on each operation.");
    SECURITY_SCHEME_UNDEFINED = ("security-scheme-undefined", Warning, "An operation's `security` names a scheme the document does not define (AWS imports it; only `api_key` keeps a meaning: API key required).");
    SECURITY_SCHEME_UNSUPPORTED = ("security-scheme-unsupported", Warning, "A security scheme API Gateway ignores (only `apiKey` schemes carry meaning).");
    AUTH_TYPE_INVALID = ("auth-type-invalid", Error, "`x-amazon-apigateway-auth` type must be NONE or AWS_IAM.");
    AUTHORIZER_INVALID = ("authorizer-invalid", Error, "An `x-amazon-apigateway-authorizer` AWS's import refuses: an unknown type, a missing or malformed field (`authorizerUri` not a Lambda invocation URI, `providerARNs` not user pool ARNs, an `identitySource` expression, a TTL outside 0..3600, an `identityValidationExpression` that does not compile), or a TOKEN/Cognito scheme naming no header.");
    COGNITO_JWKS_REQUIRED = ("cognito-jwks-required", Warning, "A Cognito user-pools authorizer: apigate verifies its tokens against the pool's keys, given with `--jwks POOL_ARN=FILE|URL` (serve, test-invoke); without them its methods answer 500.");
    REQUEST_VALIDATOR_UNKNOWN = ("request-validator-unknown", Error, "`x-amazon-apigateway-request-validator` names a validator that is not defined.");
    REQUEST_VALIDATOR_INVALID = ("request-validator-invalid", Error, "A request validator whose fields are not booleans.");
    MODEL_SCHEMA_INVALID = ("model-schema-invalid", Error, "A request model, on a method whose validator checks bodies, that is not a valid JSON Schema draft 4 schema (AWS's dialect for models), or that uses a remote reference.");
    MODEL_REF_CYCLE = ("model-ref-cycle", Error, "A request model whose `$ref` chain comes back to itself without reaching a schema.");

    // Method responses.
    RESPONSE_STATUS_INVALID = ("response-status-invalid", Error, "A status code that is not a three-digit number from 100 to 599.");

    // The integration.
    INTEGRATION_TYPE_UNKNOWN = ("integration-type-unknown", Error, "Integration `type` must be aws, aws_proxy, http, http_proxy or mock.");
    INTEGRATION_URI_MISSING = ("integration-uri-missing", Error, "Every integration but `mock` needs a `uri`.");
    INTEGRATION_HTTP_METHOD_MISSING = ("integration-http-method-missing", Error, "Every integration but `mock` needs an `httpMethod`.");
    INTEGRATION_HTTP_METHOD_INVALID = ("integration-http-method-invalid", Error, "Integration `httpMethod` must be an HTTP verb or ANY.");
    LAMBDA_HTTP_METHOD_NOT_POST = ("lambda-http-method-not-post", Warning, "A Lambda integration whose `httpMethod` is not POST: AWS imports it, and every call answers 500 (Lambda is invoked with POST).");
    INTEGRATION_URI_INVALID = ("integration-uri-invalid", Error, "An http(s) integration URI that is not an absolute RFC 3986 http(s) URL on port 80, 443 or above 1024.");
    ARN_MALFORMED = ("arn-malformed", Error, "An AWS integration URI that is not `arn:PARTITION:apigateway:REGION:SERVICE:{path|action}/...`.");
    AWS_PROXY_NOT_LAMBDA = ("aws-proxy-not-lambda", Error, "`aws_proxy` integrations can only target Lambda functions.");
    URI_PLACEHOLDER_UNMAPPED = ("uri-placeholder-unmapped", Error, "A `{name}` in the integration URI has no `integration.request.path.name` mapping.");
    INTEGRATION_HEADER_RESERVED = ("integration-header-reserved", Warning, "An integration request maps a header API Gateway reserves for the integration type (http: Content-Length, Transfer-Encoding; aws: also Authorization, Connection, Expect, Proxy-Authenticate, TE): AWS imports it and every call answers 500, as apigate does.");
    INTEGRATION_NOT_LOCAL = ("integration-not-local", Warning, "An AWS service integration apigate cannot execute yet (a service other than S3, Lambda and those of `apigate_core::aws_services`); it answers 500 with the reason.");
    AWS_ACTION_UNKNOWN = ("aws-action-unknown", Warning, "An `action/Name` integration URI whose action the service does not have (per AWS's service model): AWS imports it and the service refuses the call.");
    PASSTHROUGH_INVALID = ("passthrough-invalid", Error, "`passthroughBehavior` must be when_no_match, when_no_templates or never.");
    CONTENT_HANDLING_INVALID = ("content-handling-invalid", Error, "`contentHandling` must be CONVERT_TO_BINARY or CONVERT_TO_TEXT.");
    TIMEOUT_OUT_OF_RANGE = ("timeout-out-of-range", Error, "`timeoutInMillis` must be an integer from 50 to 29000 (AWS's range).");
    CONNECTION_TYPE_INVALID = ("connection-type-invalid", Error, "`connectionType` must be INTERNET or VPC_LINK (VPC_LINK needs a connectionId).");
    VPC_LINK_NOT_LOCAL = ("vpc-link-not-local", Warning, "VPC_LINK integrations are sent straight to the URI host locally.");
    CREDENTIALS_INVALID = ("credentials-invalid", Error, "Integration `credentials` must be an IAM role ARN or `arn:aws:iam::*:user/*`.");
    CACHE_KEY_UNDECLARED = ("cache-key-undeclared", Error, "A `cacheKeyParameters` entry that is not a declared method request parameter.");
    PROXY_RESPONSES_IGNORED = ("proxy-responses-ignored", Warning, "Proxy integrations ignore `responses`, `requestTemplates` and response mappings.");
    TEMPLATE_TOO_LARGE = ("template-too-large", Error, "A mapping template over AWS's 300 KB limit.");
    TEMPLATE_SYNTAX = ("template-syntax", Warning, "A mapping template that is not valid VTL (Velocity 1.7): AWS imports it and answers 500 when it is selected; so does apigate.");
    TEMPLATE_ENGINE_UNKNOWN = ("template-engine-unknown", Error, "`x-apigate-template-engine` (an apigate extension, at the root or on an integration) names neither `velocity` nor `handlebars`.");
    HANDLEBARS_SYNTAX = ("handlebars-syntax", Error, "A mapping template of an integration that opted into Handlebars (`x-apigate-template-engine: handlebars`) does not compile.");
    TEMPLATE_CONTENT_TYPE_INVALID = ("template-content-type-invalid", Error, "A mapping template keyed by something that is not a `type/subtype` media type.");
    UNKNOWN_FIELD = ("unknown-field", Warning, "A field of an x-amazon-apigateway object that API Gateway does not know.");

    // Parameter mappings.
    MAPPING_TARGET_INVALID = ("mapping-target-invalid", Error, "A mapping key that is not a valid target for its place (e.g. `integration.request.header.X`, `method.response.header.X`).");
    MAPPING_SOURCE_INVALID = ("mapping-source-invalid", Error, "A mapping value that is not a valid source for its place.");
    MAPPING_STATIC_UNTERMINATED = ("mapping-static-unterminated", Error, "A static mapping value opened with `'` but not closed.");
    MAPPING_PARAM_UNDECLARED = ("mapping-param-undeclared", Error, "A mapping reads `method.request.X.N` but the method declares no such parameter.");
    MAPPING_CONTEXT_UNKNOWN = ("mapping-context-unknown", Error, "A `context.X` source that is not a context variable API Gateway supports in mappings.");
    MAPPING_HEADER_UNDECLARED = ("mapping-header-undeclared", Error, "A `method.response.header.X` mapping for a header the method response does not declare.");

    // Integration responses.
    SELECTION_PATTERN_INVALID = ("selection-pattern-invalid", Error, "A selection pattern that is not a valid Java regular expression.");
    SELECTION_PATTERN_UNSUPPORTED = ("selection-pattern-unsupported", Error, "A valid Java regex apigate refuses rather than approximate: lookaround, backreferences, possessive or atomic constructs, Unicode blocks, the few forms whose translation would match differently, or patterns too large to compile.");
    RESPONSE_STATUS_UNDECLARED = ("response-status-undeclared", Warning, "An integration response selects a statusCode the method does not declare: AWS imports it but answers 500 whenever that response is selected.");
    RESPONSE_STATUS_MISSING = ("response-status-missing", Error, "An integration response without a statusCode.");

    // Root-level extensions.
    BINARY_MEDIA_TYPE_INVALID = ("binary-media-type-invalid", Error, "A binary media type that is not `type/subtype` (wildcards allowed).");
    GATEWAY_RESPONSE_TYPE_UNKNOWN = ("gateway-response-type-unknown", Error, "A gateway response type API Gateway does not define.");
    GATEWAY_RESPONSE_INVALID = ("gateway-response-invalid", Error, "A gateway response with a bad statusCode or a parameter key that is not `gatewayresponse.header.N`.");
    API_KEY_SOURCE_INVALID = ("api-key-source-invalid", Error, "`x-amazon-apigateway-api-key-source` must be HEADER or AUTHORIZER.");
    MIN_COMPRESSION_SIZE_RANGE = ("min-compression-size-range", Error, "`x-amazon-apigateway-minimum-compression-size` must be an integer from 0 to 10485760.");
    ENDPOINT_CONFIGURATION_INVALID = ("endpoint-configuration-invalid", Error, "`x-amazon-apigateway-endpoint-configuration` fields have the wrong type.");
    POLICY_INVALID = ("policy-invalid", Error, "`x-amazon-apigateway-policy` must be an IAM policy document (object with Statement).");
    POLICY_UNSUPPORTED = ("policy-unsupported", Warning, "A resource policy using what apigate cannot evaluate (a condition operator or key outside those docs/PARITY.md lists, a non-AWS principal): AWS imports it; apigate answers every request with a 500 while it is set (failing open would grant what the policy may deny).");
    EXTENSION_HTTP_API_ONLY = ("extension-http-api-only", Warning, "An extension that applies to HTTP APIs only; REST import ignores it.");
    EXTENSION_UNKNOWN = ("extension-unknown", Warning, "An `x-amazon-apigateway-*` key API Gateway does not define.");
    EXTENSION_MISPLACED = ("extension-misplaced", Warning, "An `x-amazon-apigateway-*` key in a place where API Gateway does not read it.");

    // The deployment config file (`--config`): stage settings, API keys, usage plans.
    CONFIG_FIELD_UNKNOWN = ("config-field-unknown", Error, "A key the config file does not define (a section, or a property of a CloudFormation resource): a misspelt limit must not silently not apply.");
    CONFIG_FIELD_IGNORED = ("config-field-ignored", Warning, "A CloudFormation property the config file accepts but apigate does not apply (caching, logging, tracing, tags, descriptions, ids).");
    CONFIG_VALUE_INVALID = ("config-value-invalid", Error, "A config value outside AWS's rules: stage names and variables, rates and bursts, quota periods and offsets, API key names (at most 1024 characters) and values (20 to 128), method paths.");
    CONFIG_NAME_DUPLICATE = ("config-name-duplicate", Error, "Two API keys with the same name or value, or two usage plans with the same name.");
    CONFIG_KEY_UNDEFINED = ("config-key-undefined", Error, "A usage plan's `ApiKeys` names a key the file does not define.");
    CONFIG_ACCESS_LOG_FORMAT_INVALID = ("config-access-log-format-invalid", Error, "A stage's `AccessLogSetting.Format` the access log cannot use: a `$context` variable AWS does not define for access logging, no `$context.requestId` or `$context.extendedRequestId` (AWS requires one), or a control character.");
    CONFIG_API_UNDEFINED = ("config-api-undefined", Error, "A `RestApiId` (of `Stages` or `BasePathMappings`) or a usage plan's `ApiId` names no API under `Apis`, or `Stages`, `DomainNames` or `BasePathMappings` are written without `Apis`.");
    CONFIG_DOMAIN_UNDEFINED = ("config-domain-undefined", Error, "A base path mapping's `DomainName` is not under `DomainNames`.");
    CONFIG_BASE_PATH_DUPLICATE = ("config-base-path-duplicate", Error, "Two base path mappings of one domain name with the same `BasePath` (`(none)` included): a base path leads to one API stage.");
    CONFIG_STAGE_CONFLICT = ("config-stage-conflict", Error, "With `Apis`: an API with no stage or two, two APIs with the same stage name (requests on other hosts go by `/{stage}/…`), a mapping naming a stage its API does not have, or a `Stage` section (each API's stage is in `Stages`).");
    CONFIG_METHOD_UNKNOWN = ("config-method-unknown", Error, "A `MethodSettings` entry or a usage plan's per-method `Throttle` names a method the API does not have.");
    API_KEY_DISABLED = ("api-key-disabled", Warning, "An API key that is not enabled (`Enabled` is false unless set, as in AWS): calls with it answer 403.");
    API_KEY_PLAN_CONFLICT = ("api-key-plan-conflict", Error, "An API key in two usage plans for the same stage (AWS allows one usage plan per key and stage).");
    USAGE_PLAN_STAGE_UNSERVED = ("usage-plan-stage-unserved", Warning, "A usage plan whose `ApiStages` do not include the stage being served: its keys answer 403 there.");
    API_KEYS_UNUSABLE = ("api-keys-unusable", Warning, "The API has methods that require an API key and no enabled key is in a usage plan for the served stage: every call to them answers 403.");
}

/// The catalogue as a Markdown table (the content of `docs/RULES.md`).
pub fn markdown() -> String {
    let mut s = String::from(
        "# validate rules\n\nGenerated by `apigate rules --markdown`; do not edit by hand.\n\n\
         | rule | severity | what it checks |\n|---|---|---|\n",
    );
    for r in ALL {
        s.push_str(&format!(
            "| `{}` | {} | {} |\n",
            r.id,
            r.severity.as_str(),
            r.summary
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_kebab_case() {
        let mut seen = std::collections::HashSet::new();
        for r in ALL {
            assert!(seen.insert(r.id), "duplicate rule id {}", r.id);
            assert!(r
                .id
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'));
        }
    }
}
