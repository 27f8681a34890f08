//! Fuzzes the definition loader: any bytes, read as JSON and as YAML, must load without a
//! panic, and an `Api` exists exactly when no error was reported.
#![no_main]

use apigate_core::{load, LoadOptions};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let opts = LoadOptions::default();
    for name in ["api.json", "api.yaml"] {
        let loaded = load(name, text, &opts);
        assert_eq!(loaded.api.is_some(), !loaded.diagnostics.has_errors());
        if let Some(api) = &loaded.api {
            // Route lookups on the loaded table must not panic either.
            for m in api.methods() {
                let _ = api.routes.lookup(m.verb, &m.resource_path);
            }
        }
    }
});
