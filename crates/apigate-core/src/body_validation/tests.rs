use super::*;
use serde_json::json;

fn compile(schema: Value) -> ModelSchema {
    match ModelSchema::compile(schema) {
        Ok(s) => s,
        Err(e) => panic!("schema refused: {e:?}"),
    }
}

fn rejected(schema: &ModelSchema, body: &str) -> String {
    match schema.check(body.as_bytes()) {
        Err(r) => r.validation_error_string,
        Ok(()) => panic!("{body} was accepted"),
    }
}

/// AWS's request-validators sample model (`RequestBodyModel`).
fn pet() -> ModelSchema {
    compile(json!({
        "type": "object",
        "properties": {
            "id": {"type": "integer"},
            "type": {"type": "string", "enum": ["dog", "cat", "fish"]},
            "name": {"type": "string"},
            "price": {"type": "number", "minimum": 25, "maximum": 500}
        },
        "required": ["type", "name", "price"]
    }))
}

#[test]
fn recorded_messages_are_worded_as_aws() {
    // The strings recorded on AWS (docs/PARITY.md): required, type, enum, minimum.
    let s = compile(json!({
        "type": "object",
        "required": ["transactionId", "type", "timestamp"],
        "properties": {
            "timestamp": {"type": "integer", "minimum": 315529200000_u64},
            "amount": {"type": "number"},
            "flag": {"type": "string"},
            "state": {"enum": ["CREATED", "SENT"]}
        }
    }));
    assert_eq!(
        rejected(&s, "{}"),
        r#"[object has missing required properties (["timestamp","transactionId","type"])]"#
    );
    let ok = r#""transactionId":"t","type":"x","timestamp":400000000000"#;
    assert_eq!(
        rejected(&s, &format!(r#"{{{ok},"amount":"100"}}"#)),
        r#"[instance type (string) does not match any allowed primitive type (allowed: ["integer","number"])]"#
    );
    assert_eq!(
        rejected(&s, &format!(r#"{{{ok},"flag":true}}"#)),
        r#"[instance type (boolean) does not match any allowed primitive type (allowed: ["string"])]"#
    );
    assert_eq!(
        rejected(&s, &format!(r#"{{{ok},"state":"INVALID"}}"#)),
        r#"[instance value ("INVALID") not found in enum (possible values: ["CREATED","SENT"])]"#
    );
    assert_eq!(
        rejected(&s, r#"{"transactionId":"t","type":"x","timestamp":1}"#),
        "[numeric instance is lower than the required minimum (minimum: 315529200000, found: 1)]"
    );
}

#[test]
fn the_sample_model_accepts_and_rejects() {
    let s = pet();
    assert_eq!(
        s.check(br#"{"type":"dog","name":"Rex","price":25}"#),
        Ok(())
    );
    assert_eq!(
        rejected(&s, r#"{"type":"dog","price":30}"#),
        r#"[object has missing required properties (["name"])]"#
    );
    assert_eq!(
        rejected(&s, r#"{"type":"bird","name":"Tweety","price":30}"#),
        r#"[instance value ("bird") not found in enum (possible values: ["dog","cat","fish"])]"#
    );
    assert_eq!(
        rejected(&s, r#"{"type":"dog","name":"Rex","price":501.5}"#),
        "[numeric instance is greater than the required maximum (maximum: 500, found: 501.5)]"
    );
    assert_eq!(
        rejected(&s, r#"{"id":1.5,"type":"dog","name":"Rex","price":30}"#),
        r#"[instance type (number) does not match any allowed primitive type (allowed: ["integer"])]"#
    );
}

#[test]
fn siblings_report_together_and_children_of_a_failed_node_do_not() {
    let s = pet();
    // Members are visited by name: price (minimum) and type (enum) both fail at one level.
    assert_eq!(
        rejected(&s, r#"{"type":"bird","name":"x","price":10}"#),
        r#"[numeric instance is lower than the required minimum (minimum: 25, found: 10), instance value ("bird") not found in enum (possible values: ["dog","cat","fish"])]"#
    );
    // The root fails (required), so its members are not looked at.
    assert_eq!(
        rejected(&s, r#"{"type":"bird","price":10}"#),
        r#"[object has missing required properties (["name"])]"#
    );
    // A node's keywords in alphabetical order: enum before type.
    let e = compile(json!({"type": "string", "enum": ["a"]}));
    assert_eq!(
        rejected(&e, "5"),
        r#"[instance value (5) not found in enum (possible values: ["a"]), instance type (integer) does not match any allowed primitive type (allowed: ["string"])]"#
    );
    // `format` runs after the other keywords of its node (the library appends it).
    let f = compile(json!({"type": "integer", "format": "email"}));
    assert_eq!(
        rejected(&f, r#""x""#),
        r#"[instance type (string) does not match any allowed primitive type (allowed: ["integer"]), string "x" is not a valid email address]"#
    );
    // Below a failed member nothing more: `a` fails, so `b`'s child is not checked, but `b`
    // itself is.
    let d = compile(json!({"properties": {
        "a": {"type": "string"},
        "b": {"type": "object", "minProperties": 5, "properties": {"c": {"type": "string"}}}
    }}));
    assert_eq!(
        rejected(&d, r#"{"a":1,"b":{"c":2}}"#),
        r#"[instance type (integer) does not match any allowed primitive type (allowed: ["string"]), object has too few properties (found 1 but schema requires at least 5)]"#
    );
}

#[test]
fn every_draft4_keyword_is_worded() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (
            json!({"minLength": 3}),
            r#""ab""#,
            r#"[string "ab" is too short (length: 2, required minimum: 3)]"#,
        ),
        (
            json!({"maxLength": 1}),
            r#""ab""#,
            r#"[string "ab" is too long (length: 2, maximum allowed: 1)]"#,
        ),
        (
            json!({"pattern": "^a+$"}),
            r#""b""#,
            r#"[ECMA 262 regex "^a+$" does not match input string "b"]"#,
        ),
        (
            json!({"minItems": 2}),
            "[1]",
            "[array is too short: must have at least 2 elements but instance has 1 elements]",
        ),
        (
            json!({"maxItems": 1}),
            "[1,2]",
            "[array is too long: must have at most 1 elements but instance has 2 elements]",
        ),
        (
            json!({"uniqueItems": true}),
            "[1,1]",
            "[array must not contain duplicate elements]",
        ),
        (
            json!({"items": [{}], "additionalItems": false}),
            "[1,2]",
            "[schema only allows 1 elements in array but instance has 2 elements]",
        ),
        (
            json!({"properties": {"a": {}}, "additionalProperties": false}),
            r#"{"z":1,"b":2,"a":3}"#,
            r#"[object instance has properties which are not allowed by the schema: ["b","z"]]"#,
        ),
        (
            json!({"minProperties": 2}),
            r#"{"a":1}"#,
            "[object has too few properties (found 1 but schema requires at least 2)]",
        ),
        (
            json!({"maxProperties": 0}),
            r#"{"a":1}"#,
            "[object has too many properties (found 1 but schema requires at most 0)]",
        ),
        (
            json!({"multipleOf": 3}),
            "7",
            "[remainder of division is not zero (7 / 3)]",
        ),
        (
            json!({"minimum": 3, "exclusiveMinimum": true}),
            "3",
            "[numeric instance is not strictly greater than the required minimum 3]",
        ),
        (
            json!({"maximum": 3, "exclusiveMaximum": true}),
            "3",
            "[numeric instance is not strictly lower than the required maximum 3]",
        ),
        (
            json!({"anyOf": [{"type": "string"}, {"type": "null"}]}),
            "1",
            "[instance failed to match at least one required schema among 2]",
        ),
        (
            json!({"oneOf": [{"type": "integer"}, {"type": "number"}]}),
            "1",
            "[instance failed to match exactly one schema (matched 2 out of 2)]",
        ),
        (
            json!({"oneOf": [{"type": "string"}, {"type": "null"}]}),
            "1",
            "[instance failed to match exactly one schema (matched 0 out of 2)]",
        ),
        (
            json!({"allOf": [{"required": ["a"]}, {"type": "object"}, {"minProperties": 3}]}),
            r#"{"b":1}"#,
            "[instance failed to match all required schemas (matched only 1 out of 3)]",
        ),
        (
            json!({"not": {"type": "integer"}}),
            "1",
            "[instance matched a schema which it should not have]",
        ),
        (
            json!({"dependencies": {"a": ["b", "c"]}}),
            r#"{"a":1,"c":2}"#,
            r#"[property "a" of object has missing property dependencies (schema requires ["b","c"]; missing: ["b"])]"#,
        ),
        (
            json!({"format": "email"}),
            r#""x""#,
            r#"[string "x" is not a valid email address]"#,
        ),
        (
            json!({"format": "ipv4"}),
            r#""x""#,
            r#"[string "x" is not a valid IPv4 address]"#,
        ),
        (
            json!({"format": "date-time"}),
            r#""x""#,
            r#"[string "x" is invalid against requested date format(s) [yyyy-MM-dd'T'HH:mm:ssZ, yyyy-MM-dd'T'HH:mm:ss.[0-9]{1,12}Z]]"#,
        ),
        (
            json!({"type": ["string", "null"]}),
            "1",
            r#"[instance type (integer) does not match any allowed primitive type (allowed: ["null","string"])]"#,
        ),
    ];
    for (schema, body, expected) in cases {
        let s = compile(schema.clone());
        assert_eq!(rejected(&s, body), expected, "schema {schema}");
    }
    // Formats AWS's draft-4 validator does not check pass.
    assert_eq!(compile(json!({"format": "date"})).check(br#""x""#), Ok(()));
}

#[test]
fn refs_are_followed_and_the_failure_is_at_the_member() {
    let s = compile(json!({
        "$ref": "#/definitions/A",
        "definitions": {
            "A": {"type": "object", "properties": {"x": {"$ref": "#/definitions/B"}}},
            "B": {"type": "integer", "minimum": 3}
        }
    }));
    assert_eq!(
        rejected(&s, r#"{"x":2}"#),
        "[numeric instance is lower than the required minimum (minimum: 3, found: 2)]"
    );
    assert_eq!(s.check(br#"{"x":3}"#), Ok(()));
}

#[test]
fn empty_bodies_are_empty_objects_and_other_text_is_refused() {
    let s = pet();
    assert_eq!(
        rejected(&s, ""),
        r#"[object has missing required properties (["name","price","type"])]"#
    );
    assert_eq!(compile(json!({"type": "object"})).check(b""), Ok(()));
    assert!(rejected(&s, "not json").starts_with("[the request body is not valid JSON: "));
}

#[test]
fn schemas_the_crate_refuses_say_where() {
    let e = match ModelSchema::compile(json!({"properties": {"a": {"minimum": "x"}}})) {
        Err(e) => e,
        Ok(_) => panic!("accepted"),
    };
    assert_eq!(e.pointer, "/properties/a/minimum");
    assert!(ModelSchema::compile(json!({"$ref": "https://example.invalid/s.json"})).is_err());
}

#[test]
fn the_model_is_chosen_by_media_type() {
    let model = |ct: &str| RequestModel {
        content_type: ct.to_string(),
        schema: Arc::new(compile(json!({}))),
    };
    let models = vec![model("application/json"), model("text/plain")];
    let pick = |ct: Option<&str>| select(&models, ct).map(|m| m.content_type.as_str());
    assert_eq!(pick(None), Some("application/json"));
    assert_eq!(
        pick(Some("Application/JSON; charset=utf-8")),
        Some("application/json")
    );
    assert_eq!(pick(Some("text/plain")), Some("text/plain"));
    assert_eq!(pick(Some("application/xml")), None);
    let with_default = vec![model("application/json"), model(DEFAULT_CONTENT_TYPE)];
    assert_eq!(
        select(&with_default, Some("application/xml")).map(|m| m.content_type.as_str()),
        Some(DEFAULT_CONTENT_TYPE)
    );
}
