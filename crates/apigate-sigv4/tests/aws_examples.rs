//! AWS's published SigV4 examples, one data file each in `tests/aws-examples/` (the file
//! names its source): the canonical request, string to sign and signature the crate computes
//! for each example request must be the ones AWS prints, and a request carrying its
//! signature must verify.
//!
//! File format: `name: value` settings (`#` comments), then `--- request` (an HTTP/1.1
//! request: request line, headers, a blank line, the body), `--- canonical request`,
//! `--- string to sign` and `--- signature` sections.
// Test support code: failing loudly is what it should do.
#![allow(clippy::unwrap_used, clippy::panic)]

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use apigate_sigv4::canonical::canonical_uri;
use apigate_sigv4::time::parse_request_date;
use apigate_sigv4::{
    key, sha256_hex, string_to_sign, verify_for, CallerKey, CallerKeys, CanonicalRequest,
    PathEncoding, Profile,
};
use http::request::Parts;

/// One example file.
struct Example {
    name: String,
    settings: HashMap<String, String>,
    sections: HashMap<String, String>,
}

impl Example {
    fn read(path: &Path) -> Example {
        let text = std::fs::read_to_string(path).unwrap();
        let mut settings = HashMap::new();
        let mut sections: HashMap<String, Vec<&str>> = HashMap::new();
        let mut current: Option<String> = None;
        for line in text.lines() {
            if let Some(name) = line.strip_prefix("--- ") {
                current = Some(name.to_owned());
                sections.insert(name.to_owned(), Vec::new());
            } else if let Some(section) = &current {
                sections.get_mut(section).unwrap().push(line);
            } else if !line.starts_with('#') && !line.trim().is_empty() {
                let (name, value) = line.split_once(": ").unwrap();
                settings.insert(name.to_owned(), value.to_owned());
            }
        }
        Example {
            name: path.file_name().unwrap().to_string_lossy().into_owned(),
            settings,
            sections: sections
                .into_iter()
                .map(|(name, lines)| (name, lines.join("\n")))
                .collect(),
        }
    }

    fn setting(&self, name: &str) -> &str {
        self.settings
            .get(name)
            .unwrap_or_else(|| panic!("{}: no `{name}` setting", self.name))
    }

    fn section(&self, name: &str) -> &str {
        self.sections
            .get(name)
            .unwrap_or_else(|| panic!("{}: no `--- {name}` section", self.name))
    }

    /// The request's head as the gateway's server sees it, and its body.
    fn request(&self) -> (Parts, Vec<u8>) {
        let text = self.section("request");
        let mut lines = text.lines();
        let mut request_line = lines.next().unwrap().split(' ');
        let method = request_line.next().unwrap();
        let target = request_line.next().unwrap();
        let mut builder = http::Request::builder().method(method).uri(target);
        for line in lines.by_ref() {
            if line.is_empty() {
                break;
            }
            let (name, value) = line.split_once(": ").unwrap();
            builder = builder.header(name, value);
        }
        let body = lines.collect::<Vec<_>>().join("\n");
        (builder.body(()).unwrap().into_parts().0, body.into_bytes())
    }
}

fn examples() -> Vec<Example> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/aws-examples");
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    paths.iter().map(|path| Example::read(path)).collect()
}

#[test]
fn aws_published_examples() {
    let examples = examples();
    assert!(examples.len() >= 6, "{} examples", examples.len());
    for example in &examples {
        let name = &example.name;
        let (parts, body) = example.request();
        let encoding = match example.setting("path-encoding") {
            "double" => PathEncoding::Double,
            "as-sent" => PathEncoding::AsSent,
            other => panic!("{name}: path-encoding {other}"),
        };
        let region = example.setting("region");
        let service = example.setting("service");
        let signed_headers: Vec<&str> = example.setting("signed-headers").split(';').collect();
        let payload_hash = example
            .settings
            .get("payload-hash")
            .cloned()
            .unwrap_or_else(|| sha256_hex(&body));
        let presigned = parts
            .uri
            .query()
            .is_some_and(|q| q.contains("X-Amz-Signature="));
        let date = parts
            .headers
            .get("x-amz-date")
            .map(|v| v.to_str().unwrap().to_owned())
            .or_else(|| {
                let query = parts.uri.query()?;
                let (_, rest) = query.split_once("X-Amz-Date=")?;
                Some(rest.split('&').next()?.to_owned())
            })
            .unwrap();
        let timestamp = parse_request_date(&date).unwrap();

        let canonical = CanonicalRequest {
            method: parts.method.as_str(),
            uri: &canonical_uri(parts.uri.path(), encoding),
            query: parts.uri.query(),
            presigned,
            headers: &parts.headers,
            signed_headers: &signed_headers,
            host: None,
            payload_hash: &payload_hash,
            trimmed: b" \t",
        }
        .to_bytes();
        assert_eq!(
            String::from_utf8(canonical.clone()).unwrap(),
            example.section("canonical request"),
            "{name}: canonical request"
        );

        let scope = format!("{}/{region}/{service}/aws4_request", timestamp.iso.date());
        let sts = string_to_sign(timestamp.iso.as_str(), &scope, &canonical);
        assert_eq!(
            sts,
            example.section("string to sign"),
            "{name}: string to sign"
        );

        let secret = example.setting("secret");
        let signature = key::signature(secret, timestamp.secs, region, service, &sts);
        assert_eq!(signature, example.section("signature"), "{name}: signature");
        // Outbound signing derives the key through its per-day cache: the same signature.
        let now = UNIX_EPOCH + Duration::from_secs(timestamp.secs);
        assert_eq!(
            key::cached_signature(secret, now, region, service, &sts),
            signature,
            "{name}: cached signing key"
        );

        // Verification takes the body's hash; S3's UNSIGNED-PAYLOAD presigned URLs are not
        // something the gateway verifies.
        if !presigned {
            let mut keys = CallerKeys::default();
            keys.insert(CallerKey {
                access_key_id: example.setting("access-key-id").to_owned(),
                secret_access_key: secret.to_owned(),
                session_token: None,
                arn: "arn:aws:iam::123456789012:user/example".to_owned(),
                account_id: "123456789012".to_owned(),
            });
            let profile = Profile {
                region,
                service,
                path: encoding,
            };
            let caller = verify_for(&parts, &sha256_hex(&body), &keys, &profile, now);
            assert!(caller.is_ok(), "{name}: {caller:?}");
        }
    }
}
