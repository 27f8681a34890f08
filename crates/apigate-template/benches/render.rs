//! Render cost of typical API Gateway templates (AWS's Kinesis and Lambda binary samples).
//!
//! Run: `cargo bench -p apigate-template --bench render`.

#![allow(clippy::unwrap_used)]

use apigate_template::{Limits, Render, RenderInput, Template};
use criterion::{criterion_group, criterion_main, Criterion};
use std::collections::BTreeMap;

fn render(c: &mut Criterion) {
    let cases = [
        ("kinesis_put_record", "{\n    \"StreamName\": \"$input.params('stream-name')\",\n    \"Data\": \"$util.base64Encode($input.json('$.Data'))\",\n    \"PartitionKey\": \"$input.path('$.PartitionKey')\"\n}", r#"{"Data": "some data", "PartitionKey": "pk"}"#),
        ("lambda_binary_put", "{\n   \"imageKey\": \"$input.params('key')\", \"image\": \"$input.body\"\n}", "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="),
        ("kinesis_put_records_loop", "{\n    \"StreamName\": \"$input.params('stream-name')\",\n    \"Records\": [\n       #foreach($elem in $input.path('$.records'))\n          {\n            \"Data\": \"$util.base64Encode($elem.data)\",\n            \"PartitionKey\": \"$elem.partition-key\"\n          }#if($foreach.hasNext),#end\n        #end\n    ]\n}", r#"{"records": [{"data": "a", "partition-key": "k1"}, {"data": "b", "partition-key": "k2"}]}"#),
    ];
    let path = vec![("stream-name".to_string(), "s1".to_string())];
    let qs = vec![("key".to_string(), "cat.png".to_string())];
    let context = serde_json::json!({"requestId": "r", "identity": {"sourceIp": "1.2.3.4"}});
    let stage = BTreeMap::new();
    let mut group = c.benchmark_group("render");
    for (name, template, body) in cases {
        let t = Template::parse(template).unwrap();
        let input = RenderInput {
            body,
            path: &path,
            querystring: &qs,
            header: &[],
            context: &context,
            stage_variables: &stage,
        };
        group.bench_function(name, |b| {
            b.iter(|| t.render(&input, &Limits::default()).unwrap())
        });
    }
    group.finish();
}

criterion_group!(benches, render);
criterion_main!(benches);
