//! `validate` of a generated definition with 2,000 operations (500 resources × 4 methods,
//! S3 integrations with mappings, selection patterns and header mappings), as JSON and YAML.
//! Target: ≤ 100 ms per load in release.
//!
//! Run: `cargo bench -p apigate-core --bench validate`.

#![allow(clippy::unwrap_used)]

use apigate_core::{load, LoadOptions};
use criterion::{criterion_group, criterion_main, Criterion};

// The allocator the `apigate` binary uses (`validate` runs with it).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "support/definition.rs"]
mod definition;
use definition::{generated_definition, json_to_block_yaml};

fn bench(c: &mut Criterion) {
    let doc = generated_definition(500);
    let json = serde_json::to_string_pretty(&doc).unwrap();
    let yaml = json_to_block_yaml(&doc);
    let opts = LoadOptions::default();
    for (name, text) in [("api.json", &json), ("api.yaml", &yaml)] {
        let loaded = load(name, text, &opts);
        assert!(
            loaded.diagnostics.is_empty(),
            "{name}: {:?}",
            loaded.diagnostics.iter().next()
        );
        assert_eq!(
            loaded.api.as_ref().map(|a| a.routes.method_count()),
            Some(2000)
        );
    }
    let mut g = c.benchmark_group("validate_2000_operations");
    g.sample_size(20);
    g.bench_function("json", |b| b.iter(|| load("api.json", &json, &opts)));
    g.bench_function("yaml", |b| b.iter(|| load("api.yaml", &yaml, &opts)));
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
