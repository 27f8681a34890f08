//! Request body validation (a request validator with `validateRequestBody: true`): a method's
//! request models, each compiled once at load time as JSON Schema draft 4 (AWS's dialect for
//! models) with the `jsonschema` crate; the choice of model by the request's Content-Type; and
//! the check of one body, whose failure carries `$context.error.validationErrorString` in
//! AWS's wording (module `aws_wording`). Loading the models from the definition is
//! `load::models`' job.

mod aws_wording;

use std::sync::Arc;

use serde_json::Value;

/// The model key that applies whatever the request's Content-Type (AWS's `$default`).
pub const DEFAULT_CONTENT_TYPE: &str = "$default";

/// One request model of a method: the media type it applies to and its compiled schema.
#[derive(Debug, Clone)]
pub struct RequestModel {
    /// Lower-case media type (`application/json`), or [`DEFAULT_CONTENT_TYPE`].
    pub content_type: String,
    pub schema: Arc<ModelSchema>,
}

/// A model's schema, compiled: the document (the model with every definition it refers to)
/// and the `jsonschema` validator built from it.
#[derive(Debug)]
pub struct ModelSchema {
    document: Value,
    validator: jsonschema::Validator,
}

/// The crate refused a schema: where in the schema document, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaRefused {
    /// JSON pointer inside the schema document.
    pub pointer: String,
    pub message: String,
}

/// A body that does not satisfy its model.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyRejected {
    /// `$context.error.validationErrorString`: the messages in brackets, `[a, b]`.
    pub validation_error_string: String,
}

/// Formats the `jsonschema` crate knows but AWS's draft-4 validator does not check (it only
/// warns that they are unsupported): they accept everything.
const UNCHECKED_FORMATS: &[&str] = &["date", "time"];

impl ModelSchema {
    /// Compiles `document` as JSON Schema draft 4. Remote and file references cannot be
    /// followed (the crate is built without them), so they are refused here.
    pub fn compile(document: Value) -> Result<ModelSchema, SchemaRefused> {
        let mut options = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .should_validate_formats(true);
        for format in UNCHECKED_FORMATS {
            options = options.with_format(*format, |_: &str| true);
        }
        match options.build(&document) {
            Ok(validator) => Ok(ModelSchema {
                document,
                validator,
            }),
            Err(e) => Err(SchemaRefused {
                pointer: e.instance_path().as_str().to_string(),
                message: e.to_string(),
            }),
        }
    }

    /// The schema document the validator was built from.
    pub fn document(&self) -> &Value {
        &self.document
    }

    /// Checks one request body. An empty body counts as `{}` (as LocalStack reads AWS's
    /// recordings: an empty body is validated, not refused as unreadable); a body that is not
    /// JSON is rejected.
    pub fn check(&self, body: &[u8]) -> Result<(), BodyRejected> {
        let instance = if body.is_empty() {
            Value::Object(serde_json::Map::new())
        } else {
            serde_json::from_slice::<Value>(body).map_err(|e| BodyRejected {
                validation_error_string: format!("[the request body is not valid JSON: {e}]"),
            })?
        };
        if self.validator.is_valid(&instance) {
            return Ok(());
        }
        let errors = self.validator.iter_errors(&instance);
        Err(BodyRejected {
            validation_error_string: aws_wording::validation_error_string(&self.document, errors),
        })
    }
}

/// The model for a request's `Content-Type` (its media type, case-insensitive; absent =
/// `application/json`, as AWS), else the `$default` model; `None` = the body is not validated
/// (AWS: "If no matching content type is found, request validation is not performed").
pub fn select<'m>(
    models: &'m [RequestModel],
    content_type: Option<&str>,
) -> Option<&'m RequestModel> {
    let wanted = content_type
        .map(crate::media::essence)
        .filter(|e| !e.is_empty())
        .unwrap_or("application/json");
    models
        .iter()
        .find(|m| m.content_type.eq_ignore_ascii_case(wanted))
        .or_else(|| {
            models
                .iter()
                .find(|m| m.content_type == DEFAULT_CONTENT_TYPE)
        })
}

#[cfg(test)]
mod tests;
