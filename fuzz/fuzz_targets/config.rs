//! Fuzzes the deployment config loader (`--config`): any bytes, read as JSON and as YAML,
//! must load without a panic, a config exists exactly when no error was reported, and a
//! loaded config checks against an API and resolves into limits without a panic.
#![no_main]

use apigate_core::config;
use apigate_core::limits::UsageLimits;
use apigate_core::{load, LoadOptions};
use libfuzzer_sys::fuzz_target;
use std::sync::OnceLock;

/// An API with a few methods (two require a key) for the checks against a definition.
const API: &str = r#"{"swagger": "2.0", "info": {"title": "f", "version": "1"}, "basePath": "/v1",
  "securityDefinitions": {"api_key": {"type": "apiKey", "name": "x-api-key", "in": "header"}},
  "paths": {
    "/": {"get": {"responses": {}, "x-amazon-apigateway-integration": {"type": "mock"}}},
    "/pets": {
      "get": {"security": [{"api_key": []}], "responses": {}, "x-amazon-apigateway-integration": {"type": "mock"}},
      "post": {"security": [{"api_key": []}], "responses": {}, "x-amazon-apigateway-integration": {"type": "mock"}}}}}"#;

fn api() -> &'static apigate_core::Api {
    static API_LOADED: OnceLock<apigate_core::Api> = OnceLock::new();
    API_LOADED.get_or_init(|| {
        load("api.json", API, &LoadOptions::default())
            .api
            .unwrap_or_else(|| unreachable!("the fuzz target's API loads"))
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    for name in ["config.json", "config.yaml"] {
        let loaded = config::load(name, text);
        assert_eq!(loaded.config.is_some(), !loaded.diagnostics.has_errors());
        if let Some(c) = &loaded.config {
            let stage = c.stage.name.as_deref().or(Some("v1"));
            let _ = config::check_against(c, api(), "api.json", stage);
            let limits = UsageLimits::resolve(api(), c, stage, &mut |n| format!("{n:0>20}"));
            for k in &limits.keys {
                let _ = limits.check_key(Some(&k.value));
            }
            for (route, _) in api().routes.indexed_methods() {
                for plan in 0..limits.plans.len() {
                    let _ = limits.plan_bucket(plan, route);
                }
            }
        }
    }
});
