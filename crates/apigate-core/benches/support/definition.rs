//! The generated definition `validate`'s benchmark loads, shared with the profiling driver
//! (`examples/validate_profile.rs`), so both measure the same document.

/// A Swagger 2.0 document with `resources * 4` operations, built like AWS's MyS3 export.
pub fn generated_definition(resources: usize) -> serde_json::Value {
    let mut paths = serde_json::Map::new();
    for r in 0..resources {
        let mut item = serde_json::Map::new();
        for verb in ["get", "put", "delete", "head"] {
            item.insert(
                verb.to_string(),
                serde_json::json!({
                    "parameters": [
                        {"name": "folder", "in": "path", "required": true, "type": "string"},
                        {"name": "item", "in": "path", "required": true, "type": "string"},
                        {"name": "Content-Type", "in": "header", "required": false, "type": "string"}
                    ],
                    "responses": {
                        "200": {"description": "200 response", "headers": {"Content-Type": {"type": "string"}, "Content-Length": {"type": "string"}}},
                        "400": {"description": "400 response"},
                        "500": {"description": "500 response"}
                    },
                    "security": [{"sigv4": []}],
                    "x-amazon-apigateway-integration": {
                        "type": "aws",
                        "httpMethod": verb.to_uppercase(),
                        "uri": "arn:aws:apigateway:us-west-2:s3:path/{bucket}/{object}",
                        "credentials": "arn:aws:iam::123456789012:role/apigAwsProxyRole",
                        "passthroughBehavior": "when_no_match",
                        "requestParameters": {
                            "integration.request.path.bucket": "method.request.path.folder",
                            "integration.request.path.object": "method.request.path.item",
                            "integration.request.header.Content-Type": "method.request.header.Content-Type"
                        },
                        "responses": {
                            "4\\d{2}": {"statusCode": "400"},
                            "5\\d{2}": {"statusCode": "500"},
                            "default": {"statusCode": "200", "responseParameters": {
                                "method.response.header.Content-Type": "integration.response.header.Content-Type",
                                "method.response.header.Content-Length": "integration.response.header.Content-Length"
                            }}
                        }
                    }
                }),
            );
        }
        paths.insert(
            format!("/area{r}/{{folder}}/{{item}}"),
            serde_json::Value::Object(item),
        );
    }
    serde_json::json!({
        "swagger": "2.0",
        "info": {"title": "generated", "version": "1"},
        "basePath": "/prod",
        "securityDefinitions": {"sigv4": {"type": "apiKey", "name": "Authorization", "in": "header", "x-amazon-apigateway-authtype": "awsSigv4"}},
        "x-amazon-apigateway-binary-media-types": ["*/*"],
        "paths": paths
    })
}

/// Block-style YAML (every string double-quoted, which is valid YAML).
pub fn json_to_block_yaml(v: &serde_json::Value) -> String {
    fn write(v: &serde_json::Value, indent: usize, out: &mut String) {
        let pad = "  ".repeat(indent);
        match v {
            serde_json::Value::Object(m) => {
                for (k, v) in m {
                    let key = serde_json::to_string(k).unwrap();
                    match v {
                        serde_json::Value::Object(x) if !x.is_empty() => {
                            out.push_str(&format!("{pad}{key}:\n"));
                            write(v, indent + 1, out);
                        }
                        serde_json::Value::Array(x) if !x.is_empty() => {
                            out.push_str(&format!("{pad}{key}:\n"));
                            write(v, indent + 1, out);
                        }
                        _ => out.push_str(&format!("{pad}{key}: {v}\n")),
                    }
                }
            }
            serde_json::Value::Array(a) => {
                for item in a {
                    out.push_str(&format!("{pad}- {item}\n"));
                }
            }
            other => out.push_str(&format!("{pad}{other}\n")),
        }
    }
    let mut out = String::new();
    write(v, 0, &mut out);
    out
}
