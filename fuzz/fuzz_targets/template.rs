//! Fuzzes both template engines (VTL, and the Handlebars adapter): any text parses or is
//! refused without a panic, and a template that parses renders (or fails cleanly) within the
//! limits, against a JSON body and parameters.
#![no_main]

use apigate_template::{Compiled, Engine, Limits, Render, RenderInput};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line, when present, is the body; the rest is the template.
    let (body, source) = text
        .split_once('\n')
        .unwrap_or((r#"{"a": [1, {"b": "c"}]}"#, text));

    let params = vec![("id".to_string(), "7".to_string())];
    let header = vec![("Content-Type".to_string(), "application/json".to_string())];
    let context = serde_json::json!({"requestId": "r", "identity": {"sourceIp": "127.0.0.1"}});
    let stage = BTreeMap::from([("env".to_string(), "dev".to_string())]);
    let input = RenderInput {
        body,
        path: &params,
        querystring: &params,
        header: &header,
        context: &context,
        stage_variables: &stage,
    };
    let limits = Limits {
        max_foreach_iterations: 1000,
        max_output_bytes: 1 << 20,
        max_steps: 100_000,
    };
    for engine in [Engine::Velocity, Engine::Handlebars] {
        let Ok(template) = Compiled::parse(engine, source) else {
            continue;
        };
        if let Ok(rendered) = template.render(&input, &limits) {
            assert!(rendered.output.len() <= limits.max_output_bytes);
        }
    }
});
