//! `apigate serve` as a user runs it: the binary on a fresh data directory with no AWS
//! configuration, then the README's tutorial steps with real `curl --aws-sigv4` calls, then
//! SIGTERM.

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

/// The started gateway and what it printed.
struct Served {
    child: Child,
    base: String,
    caller: (String, String),
    store_endpoint: String,
    stdout: Vec<String>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(data_dir: &Path, extra: &[&str]) -> Served {
    serve_with_env(data_dir, extra, &[])
}

/// [`serve`] with `env` set on top of a cleared AWS environment.
fn serve_with_env(data_dir: &Path, extra: &[&str], env: &[(&str, &str)]) -> Served {
    let mut child = Command::new(env!("CARGO_BIN_EXE_apigate"))
        .args([
            "serve",
            "openapi/mys3.yaml",
            "--listen",
            "127.0.0.1:0",
            "--data-dir",
        ])
        .arg(data_dir)
        .args(extra)
        .current_dir(repo())
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("AWS_SECRET_ACCESS_KEY")
        .env_remove("AWS_SESSION_TOKEN")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start apigate serve");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let mut stdout = Vec::new();
    let mut base = None;
    let mut caller = None;
    let mut store_endpoint = None;
    while base.is_none() {
        let line = lines
            .next()
            .unwrap_or_else(|| panic!("serve exited early; printed: {stdout:#?}"))
            .unwrap();
        if let Some(rest) = line.strip_prefix("apigate: serving on ") {
            base = Some(
                rest.split(' ')
                    .next()
                    .unwrap()
                    .trim_end_matches('/')
                    .to_string(),
            );
        }
        if let Some(rest) = line.trim().strip_prefix("curl --aws-sigv4 ") {
            let user = rest
                .split("--user \"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap();
            let (id, secret) = user.split_once(':').unwrap();
            caller = Some((id.to_string(), secret.to_string()));
        }
        if let Some(rest) = line.strip_prefix("apigate: embedded S3 store at ") {
            store_endpoint = Some(rest.split(',').next().unwrap().to_string());
        }
        stdout.push(line);
    }
    // Keep draining stdout so the child never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    Served {
        child,
        base: base.unwrap(),
        caller: caller.unwrap_or_default(),
        store_endpoint: store_endpoint.unwrap_or_default(),
        stdout,
    }
}

fn curl(s: &Served, args: &[&str]) -> Output {
    let user = format!("{}:{}", s.caller.0, s.caller.1);
    Command::new("curl")
        .args([
            "-sS",
            "--aws-sigv4",
            "aws:amz:us-east-1:execute-api",
            "--user",
            &user,
        ])
        .args(["-w", "\n%{http_code}"])
        .args(args)
        .output()
        .expect("curl")
}

/// (body, status) of a curl call.
fn call(s: &Served, args: &[&str]) -> (String, u16) {
    let out = curl(s, args);
    assert!(out.status.success(), "curl failed: {out:?}");
    let text = String::from_utf8(out.stdout).unwrap();
    let (body, code) = text.rsplit_once('\n').unwrap();
    (body.to_string(), code.parse().unwrap())
}

#[test]
fn readme_tutorial_with_curl_then_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(&dir.path().join("s3"), &[]);
    assert!(s.base.ends_with("/S3"), "{}", s.base);
    assert!(
        s.caller.0.len() == 20,
        "generated caller key: {:?}",
        s.stdout
    );
    assert!(
        s.store_endpoint.starts_with("http://127.0.0.1:"),
        "{:?}",
        s.stdout
    );
    assert!(
        s.stdout.iter().any(|l| l.contains("curl --aws-sigv4")),
        "prints a ready-to-paste curl line: {:#?}",
        s.stdout
    );
    let api = &s.base;

    assert_eq!(call(&s, &["-X", "PUT", &format!("{api}/my-bucket")]).1, 200);
    let (_, code) = call(
        &s,
        &[
            "-X",
            "PUT",
            "-H",
            "Content-Type: text/plain",
            "--data-binary",
            "Hello, World!",
            &format!("{api}/my-bucket/Readme.txt"),
        ],
    );
    assert_eq!(code, 200);
    let (buckets, code) = call(&s, &[&format!("{api}/")]);
    assert_eq!(code, 200);
    assert!(buckets.contains("<Name>my-bucket</Name>"), "{buckets}");
    let (listing, _) = call(&s, &[&format!("{api}/my-bucket")]);
    assert!(listing.contains("<Key>Readme.txt</Key>"), "{listing}");
    assert_eq!(
        call(&s, &[&format!("{api}/my-bucket/Readme.txt")]),
        ("Hello, World!".to_string(), 200)
    );

    // A binary file.
    let png = dir.path().join("photo.png");
    let bytes: Vec<u8> = (0..70_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(&png, &bytes).unwrap();
    let (_, code) = call(
        &s,
        &[
            "-X",
            "PUT",
            "-H",
            "Content-Type: image/png",
            "--data-binary",
            &format!("@{}", png.display()),
            &format!("{api}/my-bucket/photo.png"),
        ],
    );
    assert_eq!(code, 200);
    let back = dir.path().join("back.png");
    let out = curl(
        &s,
        &[
            "-o",
            back.to_str().unwrap(),
            &format!("{api}/my-bucket/photo.png"),
        ],
    );
    assert!(out.status.success());
    assert_eq!(std::fs::read(&back).unwrap(), bytes);
    // The embedded store lists it.
    let (listing, _) = call(&s, &[&format!("{api}/my-bucket")]);
    assert!(listing.contains("<Key>photo.png</Key>"), "{listing}");

    for key in ["Readme.txt", "photo.png"] {
        assert_eq!(
            call(&s, &["-X", "DELETE", &format!("{api}/my-bucket/{key}")]).1,
            200
        );
    }
    assert_eq!(
        call(&s, &["-X", "DELETE", &format!("{api}/my-bucket")]).1,
        200
    );

    // Unsigned: 403 Missing Authentication Token.
    let out = Command::new("curl")
        .args(["-sS", "-w", "\n%{http_code}", &format!("{api}/")])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text, "{\"message\":\"Missing Authentication Token\"}\n403");

    // SIGTERM: a clean stop.
    let mut s = s;
    let status = Command::new("kill")
        .args(["-TERM", &s.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = s.child.wait().unwrap();
    assert!(exit.success(), "{exit:?}");
}

#[test]
fn no_auth_is_announced_and_accepts_unsigned_calls() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(&dir.path().join("s3"), &["--no-auth"]);
    assert!(
        s.stdout.iter().any(|l| l.contains("WARNING: --no-auth")),
        "{:#?}",
        s.stdout
    );
    let out = Command::new("curl")
        .args([
            "-sS",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            &format!("{}/", s.base),
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "200");
}

#[test]
fn definition_with_errors_is_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_apigate"))
        .args([
            "serve",
            "tests/validate/arn-malformed.json",
            "--listen",
            "127.0.0.1:0",
        ])
        .current_dir(repo())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("error[arn-malformed]"), "{err}");
    assert!(err.contains("fix them first"), "{err}");
}

/// The banner prints each generated secret once (the caller's in its curl line, the store's in
/// its credentials line) and never a secret that came from the environment.
#[test]
fn banner_prints_generated_secrets_once_and_environment_secrets_never() {
    let dir = tempfile::tempdir().unwrap();
    let s = serve(&dir.path().join("s3"), &[]);
    let banner = s.stdout.join("\n");
    assert!(!s.caller.1.is_empty(), "{banner}");
    assert_eq!(banner.matches(s.caller.1.as_str()).count(), 1, "{banner}");
    let store_secret = banner
        .split("AWS_SECRET_ACCESS_KEY=")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap();
    assert!(store_secret.len() >= 20, "{banner}");
    assert_eq!(banner.matches(store_secret).count(), 1, "{banner}");
    drop(s);

    let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYENVIRONMENT";
    let s = serve_with_env(
        &dir.path().join("s3-env"),
        &[],
        &[
            ("AWS_ACCESS_KEY_ID", "AKIAENVIRONMENTKEY01"),
            ("AWS_SECRET_ACCESS_KEY", secret),
        ],
    );
    let banner = s.stdout.join("\n");
    assert!(banner.contains("AKIAENVIRONMENTKEY01"), "{banner}");
    assert!(!banner.contains(secret), "{banner}");
}
