//! Starting, failing to start, persisting across restarts and shutting down.

mod common;

use apigate_s3store::{generate_credentials, EmbeddedS3, StoreConfig, StoreError};
use common::{pseudo_random_bytes, start, start_at, Payload};

fn config(data_dir: std::path::PathBuf) -> StoreConfig {
    let (access_key_id, secret_access_key) = generate_credentials();
    StoreConfig {
        data_dir,
        listen: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        access_key_id,
        secret_access_key,
        region: "us-east-1".to_owned(),
    }
}

#[tokio::test]
async fn start_reports_where_it_listens_and_stores() {
    let t = start().await;
    let addr = t.store.local_addr();
    assert!(addr.ip().is_loopback());
    assert_ne!(addr.port(), 0);
    assert_eq!(
        t.store.endpoint(),
        format!("http://127.0.0.1:{}", addr.port())
    );
    assert_eq!(t.store.data_dir(), t.dir.path().join("data"));
    assert!(t.store.data_dir().is_dir());
    t.store.shutdown().await;
}

#[tokio::test]
async fn missing_data_directory_is_created_with_parents() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("a/b/c");
    let store = EmbeddedS3::start(config(nested.clone())).await.unwrap();
    assert!(nested.is_dir());
    store.shutdown().await;
}

#[tokio::test]
async fn uncreatable_data_directory_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("a-file");
    std::fs::write(&file, b"not a directory").unwrap();
    let wanted = file.join("data");
    let err = EmbeddedS3::start(config(wanted.clone())).await.unwrap_err();
    assert!(matches!(err, StoreError::CreateDataDir { .. }), "{err:?}");
    let message = err.to_string();
    assert_eq!(
        message,
        format!(
            "cannot create data directory {}: not a directory",
            wanted.display()
        )
    );
    assert!(std::error::Error::source(&err).is_some());
}

#[tokio::test]
async fn busy_port_is_a_clear_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path().to_owned());
    cfg.listen = addr;
    let err = EmbeddedS3::start(cfg).await.unwrap_err();
    assert!(matches!(err, StoreError::Bind { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        format!("cannot listen on {addr}: address in use")
    );
}

#[tokio::test]
async fn empty_credentials_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let mut cfg = config(dir.path().to_owned());
    cfg.secret_access_key.clear();
    let err = EmbeddedS3::start(cfg).await.unwrap_err();
    assert!(matches!(err, StoreError::InvalidConfig(_)), "{err:?}");
    assert!(
        err.to_string().contains("secret_access_key is empty"),
        "{err}"
    );
}

#[tokio::test]
async fn config_debug_does_not_show_the_secret() {
    let cfg = config("/tmp/x".into());
    let shown = format!("{cfg:?}");
    assert!(!shown.contains(&cfg.secret_access_key));
    assert!(shown.contains(&cfg.access_key_id));
}

#[tokio::test]
async fn data_survives_a_restart_and_leftover_uploads_are_cleaned() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let (store, client) = start_at(data.clone(), "us-east-1").await;
    client.create_bucket("durable").await;
    client
        .put_object("durable", "dir/kept.txt", b"still here", Some("text/plain"))
        .await;
    store.shutdown().await;

    // An upload a crashed run left behind.
    let leftover = data.join("tmp").join("crashed.part");
    std::fs::write(&leftover, b"partial").unwrap();

    let (store, client) = start_at(data, "us-east-1").await;
    assert!(!leftover.exists());
    let get = client.get_object("durable", "dir/kept.txt").await;
    assert_eq!(get.status, 200);
    assert_eq!(get.body, b"still here");
    assert_eq!(get.header("content-type").as_deref(), Some("text/plain"));
    let buckets = client
        .send("GET", "/", &[], Vec::new(), Payload::Signed)
        .await;
    assert_eq!(buckets.xml_values("Name"), ["durable"]);
    store.shutdown().await;
}

#[tokio::test]
async fn graceful_shutdown_finishes_in_flight_requests_then_refuses_connections() {
    let t = start().await;
    let addr = t.store.local_addr();
    t.client.create_bucket("inflight").await;
    let body = pseudo_random_bytes(8 * 1024 * 1024, 3);
    let put = t
        .client
        .send("PUT", "/inflight/big", &[], body.clone(), Payload::Unsigned)
        .await;
    assert_eq!(put.status, 200);

    // Response headers received: the download is in flight, its body not yet read.
    let request = t
        .client
        .signed_request("GET", "/inflight/big", &[], Vec::new(), Payload::Signed);
    let response = t
        .client
        .http
        .execute(reqwest::Request::try_from(request).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 200);

    let shutdown = tokio::spawn(t.store.shutdown());
    let downloaded = response.bytes().await.unwrap();
    assert!(
        downloaded == body,
        "in-flight download was cut short or corrupted"
    );
    shutdown.await.unwrap();

    let refused = tokio::net::TcpStream::connect(addr).await;
    assert_eq!(
        refused.unwrap_err().kind(),
        std::io::ErrorKind::ConnectionRefused
    );
}

#[tokio::test]
async fn stores_are_independent() {
    let a = start().await;
    let b = start().await;
    a.client.create_bucket("only-in-a").await;
    // b's credentials are not a's.
    let cross = b
        .client
        .with_access_key(&a.client.access_key_id)
        .with_secret(&a.client.secret_access_key)
        .send("GET", "/", &[], Vec::new(), Payload::Signed)
        .await;
    cross.assert_error(403, "InvalidAccessKeyId");
    let listed = b
        .client
        .send("GET", "/", &[], Vec::new(), Payload::Signed)
        .await;
    assert!(listed.xml_values("Name").is_empty());
}
