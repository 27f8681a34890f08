//! Fuzzes the gateway's HTTP server with raw bytes: each input is one client's whole
//! side of a connection, written into the server through an in-memory stream
//! (`tokio::io::duplex`) — the same accept-loop code (`apigate-http-server`) and lifecycle
//! as `apigate serve`, over a small definition with mock integrations and mapping templates
//! (no backend sockets). Nothing may panic, and what the server writes back must be
//! well-framed: a sequence of complete HTTP/1.1 responses, or of whole HTTP/2 frames after
//! an h2c preface, before the connection closes.
#![no_main]

use apigate_http_server::{Limits, Server};
use apigate_runtime::auth::sigv4::CallerKeys;
use apigate_runtime::auth::{AuthMode, Authorizer};
use apigate_runtime::integrations::aws::{AwsClient, AwsEndpoints};
use apigate_runtime::integrations::aws_service::AwsServiceBackend;
use apigate_runtime::integrations::client::{BackendClient, ClientOptions};
use apigate_runtime::integrations::http::HttpBackend;
use apigate_runtime::integrations::lambda::LambdaBackend;
use apigate_runtime::integrations::s3::{S3Backend, S3Endpoint};
use apigate_runtime::integrations::signer::CredentialSource;
use apigate_runtime::server::Live;
use apigate_runtime::template_runner::TemplateRunner;
use apigate_runtime::{Gateway, Settings};
use libfuzzer_sys::fuzz_target;
use std::net::SocketAddr;
use std::sync::{Arc, OnceLock};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const DEFINITION: &str = r#"
openapi: 3.0.1
info: {title: fuzz, version: "1"}
paths:
  /pets/{id}:
    x-amazon-apigateway-any-method:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
        - {name: q, in: query, schema: {type: string}}
      responses:
        "200":
          description: ok
          headers:
            X-Id: {schema: {type: string}}
      x-amazon-apigateway-integration:
        type: mock
        requestTemplates:
          application/json: |
            #set($code = $input.params('q'))
            #if($code == "teapot"){"statusCode": 418}#else{"statusCode": 200}#end
        responses:
          "418": {statusCode: "200"}
          default:
            statusCode: "200"
            responseParameters:
              method.response.header.X-Id: "'fixed'"
            responseTemplates:
              application/json: |
                {"id": "$util.escapeJavaScript($input.params('id'))",
                 "q": "$util.urlEncode($input.params('q'))",
                 "method": "$context.httpMethod", "path": "$context.resourcePath",
                 "all": "$input.params()"}
  /echo:
    post:
      responses: {"200": {description: ok}}
      x-amazon-apigateway-integration:
        type: mock
        passthroughBehavior: when_no_templates
        requestTemplates:
          application/json: '{"statusCode": 200}'
        responses:
          default:
            statusCode: "200"
            responseTemplates:
              application/json: '{"ok": true, "type": "$input.params(''Content-Type'')"}'
"#;

struct Fixture {
    runtime: tokio::runtime::Runtime,
    server: Server,
    gateway: Live,
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .unwrap();
        let options = apigate_core::LoadOptions::default();
        let loaded = apigate_core::load("fuzz.yaml", DEFINITION, &options);
        let api = loaded
            .api
            .unwrap_or_else(|| panic!("{:?}", loaded.diagnostics));
        // The client's coarse timer runs on the runtime.
        let client = {
            let _in_runtime = runtime.enter();
            BackendClient::new(&ClientOptions {
                idle_timeout: Duration::from_secs(2),
                max_idle_per_host: 1,
            })
            .unwrap()
        };
        let region = options.import_variables.region.clone();
        let aws = Arc::new(AwsClient::new(
            AwsEndpoints::default(),
            CredentialSource::fixed("AKIDFUZZ", "fuzz"),
            client.clone(),
        ));
        let gateway = Live::new(Gateway {
            settings: Settings {
                stage: api.stage.clone(),
                api_id: "fuzz".into(),
                account_id: options.import_variables.account_id.clone(),
                stage_variables: Default::default(),
                buffer_limit: 1 << 20,
                templates: TemplateRunner::new(Duration::from_millis(200)),
            },
            api,
            limits: Default::default(),
            authorizer: Arc::new(Authorizer::new(
                AuthMode::Off,
                CallerKeys::default(),
                region,
            )),
            // Never reached: the definition has no S3 integration.
            s3: Arc::new(S3Backend::new(
                S3Endpoint::Custom("http://127.0.0.1:9".into()),
                CredentialSource::fixed("AKIDFUZZ", "fuzz"),
                client.clone(),
            )),
            // Never reached either: no Lambda or other AWS integration, no endpoint.
            lambda: Arc::new(LambdaBackend::new(aws.clone(), 1 << 20)),
            aws: Arc::new(AwsServiceBackend::new(aws)),
            http: Arc::new(HttpBackend::new(client, "fuzz")),
            observe: Default::default(),
        });
        let limits = Limits {
            header_read_timeout: Duration::from_secs(2),
            idle_timeout: Duration::from_secs(2),
            write_timeout: Duration::from_secs(2),
            ..Limits::default()
        };
        let server = runtime.block_on(async { Server::new("fuzz", limits).with_header_spelling() });
        Fixture {
            runtime,
            server,
            gateway,
        }
    })
}

fuzz_target!(|data: &[u8]| {
    let f = fixture();
    let answer = f.runtime.block_on(async {
        let (client, server_side) = tokio::io::duplex(1 << 16);
        let remote = SocketAddr::from(([127, 0, 0, 1], 40000));
        let conn = f.server.spawn_connection(
            server_side,
            apigate_runtime::server::service(f.gateway.clone(), remote, false),
            None,
        );
        // Read while writing: the server may answer before the input ends.
        let (mut rd, mut wr) = tokio::io::split(client);
        let write = async move {
            let _ = wr.write_all(data).await;
            let _ = wr.shutdown().await;
        };
        let read = async move {
            let mut out = Vec::new();
            let _ = rd.read_to_end(&mut out).await;
            out
        };
        let ((), out) =
            tokio::time::timeout(Duration::from_secs(8), async { tokio::join!(write, read) })
                .await
                .expect("the server closes the connection once the client's input ends");
        // Aborted by its watchdog is fine; a panic is not.
        if let Err(e) = conn.await {
            assert!(!e.is_panic(), "the connection task panicked: {e}");
        }
        out
    });
    if data.starts_with(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n") {
        check_h2_frames(&answer);
    } else {
        check_h1_responses(&answer);
    }
});

/// Whole HTTP/2 frames: a 9-byte header (24-bit length) and its payload, to the end.
fn check_h2_frames(mut out: &[u8]) {
    while !out.is_empty() {
        assert!(out.len() >= 9, "a truncated frame header: {out:?}");
        let len = usize::from(out[0]) << 16 | usize::from(out[1]) << 8 | usize::from(out[2]);
        assert!(out.len() >= 9 + len, "a truncated frame");
        out = &out[9 + len..];
    }
}

/// Complete HTTP/1.x responses, one after another: a head httparse accepts, then a body
/// framed by Content-Length or chunked encoding (or none, after a HEAD request: the next
/// response or the end follows at once).
fn check_h1_responses(mut out: &[u8]) {
    while !out.is_empty() {
        let mut headers = [httparse::EMPTY_HEADER; 64];
        let mut response = httparse::Response::new(&mut headers);
        let head = match response.parse(out) {
            Ok(httparse::Status::Complete(n)) => n,
            other => panic!(
                "not a complete response head ({other:?}): {:?}",
                String::from_utf8_lossy(out)
            ),
        };
        // HTTP/1.0 requests are answered in HTTP/1.0.
        assert!(matches!(response.version, Some(0 | 1)));
        let status = response.code.unwrap_or(0);
        let header = |name: &str| {
            response
                .headers
                .iter()
                .find(|h| h.name.eq_ignore_ascii_case(name))
                .map(|h| String::from_utf8_lossy(h.value).into_owned())
        };
        let chunked = header("transfer-encoding").is_some_and(|v| v.contains("chunked"));
        let length = header("content-length")
            .map(|v| v.trim().parse::<usize>().expect("a numeric Content-Length"));
        let rest = &out[head..];
        out = if status < 200 || status == 204 || status == 304 {
            rest
        } else if chunked {
            assert!(length.is_none(), "both Content-Length and chunked");
            skip_chunks(rest)
        } else if let Some(n) = length {
            if rest.len() >= n && (rest.len() == n || rest[n..].starts_with(b"HTTP/1.")) {
                &rest[n..]
            } else {
                // A HEAD response: its length describes a body that is not sent.
                assert!(
                    rest.is_empty() || rest.starts_with(b"HTTP/1."),
                    "a body shorter than its Content-Length {n}: {:?}",
                    String::from_utf8_lossy(rest)
                );
                rest
            }
        } else {
            // Neither: the body runs to the close (hyper only does this with Connection: close).
            &[]
        };
    }
}

fn skip_chunks(mut rest: &[u8]) -> &[u8] {
    loop {
        let line = rest
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("a complete chunk-size line");
        let size_text = std::str::from_utf8(&rest[..line]).expect("an ASCII chunk size");
        let size = usize::from_str_radix(size_text.split(';').next().unwrap_or("").trim(), 16)
            .expect("a hex chunk size");
        rest = &rest[line + 2..];
        if size == 0 {
            // No trailers from this server.
            assert!(rest.starts_with(b"\r\n"), "a chunked body's end");
            return &rest[2..];
        }
        assert!(rest.len() >= size + 2, "a truncated chunk");
        assert_eq!(&rest[size..size + 2], b"\r\n", "a chunk's end");
        rest = &rest[size + 2..];
    }
}
