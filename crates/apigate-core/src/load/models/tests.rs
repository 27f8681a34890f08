//! Request models as the loader builds them: both dialects, `$ref` chains, the content types
//! they apply to, and the schemas it refuses.

use crate::body_validation::select;
use crate::model::HttpMethod;
use crate::{load, rules, Api, LoadOptions, Loaded};

fn loaded(name: &str, text: &str) -> Loaded {
    load(name, text, &LoadOptions::default())
}

fn loaded_api(name: &str, text: &str) -> Api {
    let l = loaded(name, text);
    assert!(!l.diagnostics.has_errors(), "{:?}", l.diagnostics);
    match l.api {
        Some(api) => api,
        None => panic!("no api"),
    }
}

/// The body check of `verb path` for a request with `content_type`: `None` = no model applies.
fn check(
    api: &Api,
    verb: HttpMethod,
    path: &str,
    content_type: Option<&str>,
    body: &str,
) -> Option<Result<(), String>> {
    let m = match api.routes.lookup(verb, path) {
        Ok(m) => m,
        Err(e) => panic!("{e:?}"),
    };
    let model = select(&m.method.request_models, content_type)?;
    Some(
        model
            .schema
            .check(body.as_bytes())
            .map_err(|r| r.validation_error_string),
    )
}

/// AWS's `request-validators-swagger2.json`, reduced to what models need.
const SWAGGER: &str = r##"{
  "swagger": "2.0", "info": {"title": "ReqValidators Sample", "version": "1.0.0"},
  "basePath": "/v1",
  "x-amazon-apigateway-request-validators": {
    "all": {"validateRequestBody": true, "validateRequestParameters": true},
    "params-only": {"validateRequestBody": false, "validateRequestParameters": true}
  },
  "x-amazon-apigateway-request-validator": "params-only",
  "paths": {
    "/validation": {
      "post": {
        "x-amazon-apigateway-request-validator": "all",
        "parameters": [
          {"in": "header", "name": "h1", "required": true},
          {"in": "body", "name": "RequestBodyModel", "required": true, "schema": {"$ref": "#/definitions/RequestBodyModel"}}
        ],
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {"type": "mock", "responses": {"default": {"statusCode": "200"}}}
      },
      "put": {
        "parameters": [
          {"in": "body", "name": "RequestBodyModel", "schema": {"$ref": "#/definitions/RequestBodyModel"}}
        ],
        "responses": {"200": {"description": "ok"}},
        "x-amazon-apigateway-integration": {"type": "mock", "responses": {"default": {"statusCode": "200"}}}
      }
    }
  },
  "definitions": {
    "RequestBodyModel": {
      "type": "object",
      "properties": {
        "id": {"type": "integer"},
        "type": {"type": "string", "enum": ["dog", "cat", "fish"]},
        "name": {"type": "string"},
        "price": {"type": "number", "minimum": 25, "maximum": 500}
      },
      "required": ["type", "name", "price"]
    }
  }
}"##;

#[test]
fn swagger_body_parameters_become_json_models_where_bodies_are_validated() {
    let api = loaded_api("s.json", SWAGGER);
    let post =
        |ct: Option<&str>, body: &str| check(&api, HttpMethod::Post, "/validation", ct, body);
    assert_eq!(
        post(None, r#"{"type":"dog","name":"Rex","price":30}"#),
        Some(Ok(()))
    );
    assert_eq!(
        post(
            Some("application/json; charset=utf-8"),
            r#"{"type":"dog","price":30}"#
        ),
        Some(Err(
            r#"[object has missing required properties (["name"])]"#.to_string()
        ))
    );
    // No `consumes`: the model is for application/json only.
    assert_eq!(post(Some("text/plain"), "anything"), None);
    // The params-only validator loads no models.
    assert_eq!(
        check(&api, HttpMethod::Put, "/validation", None, "{}"),
        None
    );
}

#[test]
fn consumes_names_the_content_types_the_operation_first_then_the_document() {
    let doc = SWAGGER.replace(
        r#""x-amazon-apigateway-request-validator": "all","#,
        r#""x-amazon-apigateway-request-validator": "all", "consumes": ["application/xml", "Application/Vnd.Pet+JSON"],"#,
    );
    let api = loaded_api("s.json", &doc);
    let post = |ct: &str| check(&api, HttpMethod::Post, "/validation", Some(ct), "{}").is_some();
    assert!(post("application/xml"));
    assert!(post("application/vnd.pet+json"));
    assert!(!post("application/json"));
    let doc = SWAGGER.replace(
        r#""basePath": "/v1","#,
        r#""basePath": "/v1", "consumes": ["text/csv"],"#,
    );
    let api = loaded_api("s.json", &doc);
    assert!(check(
        &api,
        HttpMethod::Post,
        "/validation",
        Some("text/csv"),
        "{}"
    )
    .is_some());
    assert!(check(&api, HttpMethod::Post, "/validation", None, "{}").is_none());
}

const OPENAPI: &str = r##"
openapi: 3.0.1
info: {title: t, version: "1"}
x-amazon-apigateway-request-validators:
  body: {validateRequestBody: true, validateRequestParameters: false}
x-amazon-apigateway-request-validator: body
paths:
  /trees:
    post:
      requestBody: {$ref: "#/components/requestBodies/Tree"}
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration: {type: mock, responses: {default: {statusCode: "200"}}}
components:
  requestBodies:
    Tree:
      content:
        application/json: {schema: {$ref: "#/components/schemas/Alias"}}
        $default: {schema: {type: string}}
  schemas:
    Alias: {$ref: "#/components/schemas/Again"}
    Again: {$ref: "#/components/schemas/Node"}
    Node:
      type: object
      required: [label]
      properties:
        label: {$ref: "#/components/schemas/Label"}
        children: {type: array, items: {$ref: "#/components/schemas/Node"}}
    Label: {type: string, minLength: 1}
"##;

#[test]
fn openapi_request_bodies_follow_ref_chains_and_recursion() {
    let api = loaded_api("o.yaml", OPENAPI);
    let post = |ct: Option<&str>, body: &str| check(&api, HttpMethod::Post, "/trees", ct, body);
    assert_eq!(
        post(
            None,
            r#"{"label":"a","children":[{"label":"b","children":[]}]}"#
        ),
        Some(Ok(()))
    );
    assert_eq!(
        post(None, r#"{"label":"a","children":[{"label":""}]}"#),
        Some(Err(
            r#"[string "" is too short (length: 0, required minimum: 1)]"#.to_string()
        ))
    );
    assert_eq!(
        post(None, r#"{"label":"a","children":[{}]}"#),
        Some(Err(
            r#"[object has missing required properties (["label"])]"#.to_string()
        ))
    );
    // `$default` applies to every other content type.
    assert_eq!(post(Some("text/plain"), r#""a string""#), Some(Ok(())));
    assert!(matches!(post(Some("text/plain"), "{}"), Some(Err(_))));
}

#[test]
fn a_ref_chain_back_to_itself_is_reported() {
    let doc = OPENAPI.replace(
        "Again: {$ref: \"#/components/schemas/Node\"}",
        "Again: {$ref: \"#/components/schemas/Alias\"}",
    );
    let l = loaded("o.yaml", &doc);
    assert!(l.api.is_none());
    let d: Vec<_> = l
        .diagnostics
        .iter()
        .filter(|d| d.rule == rules::MODEL_REF_CYCLE.id)
        .collect();
    assert_eq!(d.len(), 1, "{:?}", l.diagnostics);
    // Reported at the media type's schema reference (line 17 of the text).
    assert_eq!(d.first().map(|d| d.pos.line), Some(17), "{d:?}");
}

#[test]
fn a_schema_the_crate_refuses_is_reported_where_it_is_written() {
    // OpenAPI 3.0 takes any string as a pattern; a schema validator cannot.
    let doc = OPENAPI.replace(
        "Label: {type: string, minLength: 1}",
        "Label: {type: string, pattern: \"(unclosed\"}",
    );
    let l = loaded("o.yaml", &doc);
    assert!(l.api.is_none());
    let d: Vec<_> = l
        .diagnostics
        .iter()
        .filter(|d| d.rule == rules::MODEL_SCHEMA_INVALID.id)
        .collect();
    assert_eq!(d.len(), 1, "{:?}", l.diagnostics);
    let d = d
        .first()
        .map(|d| (d.pos.line, d.pointer.as_str(), d.hint.is_some()));
    assert_eq!(d, Some((28, "/components/schemas/Label/pattern", true)));
    // Without a body validator the model is not compiled, so nothing is reported.
    let doc = doc.replace("validateRequestBody: true", "validateRequestBody: false");
    assert!(loaded("o.yaml", &doc).api.is_some());
}

#[test]
fn one_schema_shared_by_methods_is_compiled_once() {
    let doc = SWAGGER.replace(
        r#""put": {
        "parameters""#,
        r#""put": {
        "x-amazon-apigateway-request-validator": "all",
        "parameters""#,
    );
    let api = loaded_api("s.json", &doc);
    let models = |verb| match api.routes.lookup(verb, "/validation") {
        Ok(m) => m.method.request_models.clone(),
        Err(e) => panic!("{e:?}"),
    };
    let (post, put) = (models(HttpMethod::Post), models(HttpMethod::Put));
    match (post.first(), put.first()) {
        (Some(a), Some(b)) => assert!(std::sync::Arc::ptr_eq(&a.schema, &b.schema)),
        other => panic!("{other:?}"),
    }
}
