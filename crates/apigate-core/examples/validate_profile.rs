//! Loads the `validate` benchmark's 2,000-operation definition N times, for instruction counts
//! under callgrind (a shared machine's wall time says little):
//!
//! ```text
//! cargo build --release -p apigate-core --example validate_profile
//! valgrind --tool=callgrind target/release/examples/validate_profile yaml 5
//! ```
//!
//! `json` / `yaml` run the whole `load`; `parse-json` / `parse-yaml` only build the spanned
//! tree; `events` only drains saphyr-parser's event stream (the scanner's share).

#![allow(clippy::unwrap_used, clippy::panic)]

use apigate_core::source::{parse_with_facts, Format};
use apigate_core::{load, LoadOptions};

// The allocator the `apigate` binary uses (`validate` runs with it).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[path = "../benches/support/definition.rs"]
mod definition;

fn main() {
    let mut args = std::env::args().skip(1);
    let what = args.next().unwrap_or_else(|| "yaml".into());
    let n: usize = args.next().map_or(1, |n| n.parse().unwrap());
    let doc = definition::generated_definition(500);
    let json = serde_json::to_string_pretty(&doc).unwrap();
    let yaml = definition::json_to_block_yaml(&doc);
    let opts = LoadOptions::default();
    let mut total = 0usize;
    for _ in 0..n {
        total += match what.as_str() {
            "json" => load("api.json", &json, &opts)
                .api
                .unwrap()
                .routes
                .method_count(),
            "yaml" => load("api.yaml", &yaml, &opts)
                .api
                .unwrap()
                .routes
                .method_count(),
            "parse-json" => usize::from(parse_with_facts(&json, Format::Json).is_ok()),
            "parse-yaml" => usize::from(parse_with_facts(&yaml, Format::Yaml).is_ok()),
            "events" => saphyr_parser::Parser::new_from_str(&yaml)
                .map(|e| usize::from(e.is_ok()))
                .sum(),
            other => panic!("unknown mode {other}"),
        };
    }
    println!(
        "{what} x{n}: {total} ({} bytes JSON, {} bytes YAML)",
        json.len(),
        yaml.len()
    );
}
