//! Object operations: PutObject, GetObject, HeadObject, DeleteObject, CopyObject,
//! DeleteObjects — content types, odd keys, binary and large bodies, errors.

mod common;

use common::{encode_key, md5_hex, pseudo_random_bytes, start, Payload};

#[tokio::test]
async fn put_get_head_delete_round_trip_with_content_type() {
    let t = start().await;
    t.client.create_bucket("docs").await;

    let put = t
        .client
        .put_object("docs", "test/test.txt", b"Hello, S3!", Some("text/plain"))
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let etag = format!("\"{}\"", md5_hex(b"Hello, S3!"));
    assert_eq!(put.header("etag").as_deref(), Some(etag.as_str()));

    let get = t.client.get_object("docs", "test/test.txt").await;
    assert_eq!(get.status, 200);
    assert_eq!(get.body, b"Hello, S3!");
    assert_eq!(get.header("content-type").as_deref(), Some("text/plain"));
    assert_eq!(get.header("content-length").as_deref(), Some("10"));
    assert_eq!(get.header("etag").as_deref(), Some(etag.as_str()));
    assert_eq!(get.header("accept-ranges").as_deref(), Some("bytes"));
    let last_modified = get.header("last-modified").unwrap();
    assert!(last_modified.ends_with(" GMT"), "{last_modified}");

    let head = t.client.head_object("docs", "test/test.txt").await;
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(head.header("content-length").as_deref(), Some("10"));
    assert_eq!(head.header("content-type").as_deref(), Some("text/plain"));
    assert_eq!(head.header("etag").as_deref(), Some(etag.as_str()));
    assert_eq!(head.header("last-modified"), Some(last_modified));

    let delete = t.client.delete_object("docs", "test/test.txt").await;
    assert_eq!(delete.status, 204);
    t.client
        .get_object("docs", "test/test.txt")
        .await
        .assert_error(404, "NoSuchKey");
    assert_eq!(
        t.client.head_object("docs", "test/test.txt").await.status,
        404
    );
    // Deleting again is not an error in S3.
    assert_eq!(
        t.client.delete_object("docs", "test/test.txt").await.status,
        204
    );
}

#[tokio::test]
async fn no_such_key_error_has_the_s3_shape() {
    let t = start().await;
    t.client.create_bucket("docs").await;
    let resp = t.client.get_object("docs", "missing.txt").await;
    resp.assert_error(404, "NoSuchKey");
    let text = resp.text();
    assert!(
        text.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>"),
        "{text}"
    );
    assert!(text.contains("<Error>"), "{text}");
    assert_eq!(
        resp.xml_value("Message").as_deref(),
        Some("The specified key does not exist.")
    );
    assert_eq!(
        resp.header("content-type").as_deref(),
        Some("application/xml")
    );
}

#[tokio::test]
async fn put_into_missing_bucket_is_no_such_bucket_and_creates_nothing() {
    let t = start().await;
    let resp = t
        .client
        .put_object("nobucket", "k.txt", b"data", Some("text/plain"))
        .await;
    resp.assert_error(404, "NoSuchBucket");
    let resp = t
        .client
        .send(
            "PUT",
            "/nobucket/k2",
            &[],
            b"data".to_vec(),
            Payload::Unsigned,
        )
        .await;
    resp.assert_error(404, "NoSuchBucket");
    let buckets = t
        .client
        .send("GET", "/", &[], Vec::new(), Payload::Signed)
        .await;
    assert!(buckets.xml_values("Name").is_empty(), "{}", buckets.text());
    assert_eq!(
        t.client
            .send("HEAD", "/nobucket", &[], Vec::new(), Payload::Signed)
            .await
            .status,
        404
    );
}

#[tokio::test]
async fn default_content_type_is_binary_octet_stream() {
    let t = start().await;
    t.client.create_bucket("docs").await;
    t.client.put_object("docs", "untyped", b"abc", None).await;
    let get = t.client.get_object("docs", "untyped").await;
    assert_eq!(
        get.header("content-type").as_deref(),
        Some("binary/octet-stream")
    );
}

#[tokio::test]
async fn binary_bodies_round_trip_byte_exact() {
    let t = start().await;
    t.client.create_bucket("bin").await;
    let mut body: Vec<u8> = (0..=255u8).collect();
    body.extend((0..=255u8).rev());
    body.extend_from_slice(b"\r\n\0\xff\xfe");
    let put = t
        .client
        .put_object("bin", "image.png", &body, Some("image/png"))
        .await;
    assert_eq!(put.status, 200);
    let get = t.client.get_object("bin", "image.png").await;
    assert_eq!(get.body, body);
    assert_eq!(get.header("content-type").as_deref(), Some("image/png"));

    // Empty objects too.
    t.client.put_object("bin", "empty", b"", None).await;
    let get = t.client.get_object("bin", "empty").await;
    assert_eq!(get.status, 200);
    assert!(get.body.is_empty());
    assert_eq!(get.header("content-length").as_deref(), Some("0"));
}

#[tokio::test]
async fn multi_mib_object_round_trips_and_ranges_work() {
    let t = start().await;
    t.client.create_bucket("large").await;
    // Neither a multiple of the 256 KiB read size nor of 4 KiB.
    let body = pseudo_random_bytes(9 * 1024 * 1024 + 12_345, 42);
    let put = t
        .client
        .send(
            "PUT",
            "/large/blob.bin",
            &[],
            body.clone(),
            Payload::Unsigned,
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text());

    let get = t.client.get_object("large", "blob.bin").await;
    assert_eq!(get.status, 200);
    assert_eq!(get.header("content-length"), Some(body.len().to_string()));
    assert!(get.body == body, "large body differs");
    assert_eq!(get.header("etag"), Some(format!("\"{}\"", md5_hex(&body))));

    let range = t
        .client
        .get_object_with("large", "blob.bin", &[("range", "bytes=1000000-3000000")])
        .await;
    assert_eq!(range.status, 206);
    assert_eq!(range.body, &body[1_000_000..=3_000_000]);
    assert_eq!(
        range.header("content-range"),
        Some(format!("bytes 1000000-3000000/{}", body.len()))
    );
    let suffix = t
        .client
        .get_object_with("large", "blob.bin", &[("range", "bytes=-10")])
        .await;
    assert_eq!(suffix.status, 206);
    assert_eq!(suffix.body, &body[body.len() - 10..]);

    let beyond = format!("bytes={}-", body.len() + 5);
    let bad = t
        .client
        .get_object_with("large", "blob.bin", &[("range", beyond.as_str())])
        .await;
    bad.assert_error(416, "InvalidRange");
}

#[tokio::test]
async fn keys_with_special_characters_round_trip() {
    let t = start().await;
    t.client.create_bucket("keys").await;
    let keys = [
        "test/test.txt",
        "a+b.txt",
        "100%.txt",
        "with space.txt",
        "ünïcödé/日本語.txt",
        "emoji-🚀",
        "deep/er/and/deeper/file",
        "a",
        "a/b",
        "dots..in/.name.",
        "trailing/",
        "quote\"&<xml>'",
        "semi;colon=eq&amp?q#hash",
        "%2F-literal",
    ];
    for (i, key) in keys.iter().enumerate() {
        let body = format!("body #{i} for {key}");
        let put = t
            .client
            .put_object("keys", key, body.as_bytes(), Some("text/plain"))
            .await;
        assert_eq!(put.status, 200, "put {key}: {}", put.text());
    }
    for (i, key) in keys.iter().enumerate() {
        let get = t.client.get_object("keys", key).await;
        assert_eq!(get.status, 200, "get {key}: {}", get.text());
        assert_eq!(get.text(), format!("body #{i} for {key}"), "key {key}");
    }
    // The listing names every key exactly.
    let listing = t.client.list("keys", "list-type=2").await;
    let mut listed = listing.xml_values("Key");
    listed.sort();
    let mut expected: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
    expected.sort();
    assert_eq!(listed, expected);

    for key in keys {
        assert_eq!(
            t.client.delete_object("keys", key).await.status,
            204,
            "delete {key}"
        );
    }
    assert!(t.client.list("keys", "").await.xml_values("Key").is_empty());
}

#[tokio::test]
async fn overwrite_replaces_body_and_metadata() {
    let t = start().await;
    t.client.create_bucket("over").await;
    t.client
        .put_object("over", "k", b"first version", Some("text/plain"))
        .await;
    t.client
        .put_object("over", "k", b"second", Some("application/json"))
        .await;
    let get = t.client.get_object("over", "k").await;
    assert_eq!(get.body, b"second");
    assert_eq!(
        get.header("content-type").as_deref(),
        Some("application/json")
    );
    assert_eq!(get.header("content-length").as_deref(), Some("6"));
}

#[tokio::test]
async fn user_metadata_and_standard_headers_are_stored() {
    let t = start().await;
    t.client.create_bucket("meta").await;
    let headers = [
        ("content-type", "text/html"),
        ("cache-control", "max-age=60"),
        ("content-disposition", "attachment; filename=\"x.html\""),
        ("x-amz-meta-owner", "alice"),
        ("x-amz-meta-purpose", "testing"),
    ];
    let put = t
        .client
        .send(
            "PUT",
            "/meta/page.html",
            &headers,
            b"<p>hi</p>".to_vec(),
            Payload::Signed,
        )
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    let head = t.client.head_object("meta", "page.html").await;
    assert_eq!(head.header("cache-control").as_deref(), Some("max-age=60"));
    assert_eq!(
        head.header("content-disposition").as_deref(),
        Some("attachment; filename=\"x.html\"")
    );
    assert_eq!(head.header("x-amz-meta-owner").as_deref(), Some("alice"));
    assert_eq!(
        head.header("x-amz-meta-purpose").as_deref(),
        Some("testing")
    );
}

#[tokio::test]
async fn content_md5_is_verified_before_anything_is_replaced() {
    let t = start().await;
    t.client.create_bucket("md5").await;
    t.client.put_object("md5", "k", b"original", None).await;

    let wrong = "1B2M2Y8AsgTpgAmY7PhCfg=="; // MD5 of the empty string
    let resp = t
        .client
        .send(
            "PUT",
            "/md5/k",
            &[("content-md5", wrong)],
            b"replacement".to_vec(),
            Payload::Signed,
        )
        .await;
    resp.assert_error(400, "BadDigest");
    assert_eq!(t.client.get_object("md5", "k").await.body, b"original");

    let resp = t
        .client
        .send(
            "PUT",
            "/md5/k",
            &[("content-md5", "not base64!")],
            b"replacement".to_vec(),
            Payload::Signed,
        )
        .await;
    resp.assert_error(400, "InvalidDigest");

    let right = base64_md5(b"replacement");
    let resp = t
        .client
        .send(
            "PUT",
            "/md5/k",
            &[("content-md5", right.as_str())],
            b"replacement".to_vec(),
            Payload::Signed,
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(t.client.get_object("md5", "k").await.body, b"replacement");
}

fn base64_md5(data: &[u8]) -> String {
    use s3s::crypto::{Checksum, Md5};
    base64_simd::STANDARD.encode_to_string(Md5::checksum(data))
}

#[tokio::test]
async fn conditional_reads() {
    let t = start().await;
    t.client.create_bucket("cond").await;
    let put = t.client.put_object("cond", "k", b"versioned", None).await;
    let etag = put.header("etag").unwrap();

    let same = t
        .client
        .get_object_with("cond", "k", &[("if-none-match", etag.as_str())])
        .await;
    assert_eq!(same.status, 304);
    assert!(same.body.is_empty());
    assert_eq!(same.header("etag"), Some(etag.clone()));

    let changed = t
        .client
        .get_object_with("cond", "k", &[("if-none-match", "\"0000\"")])
        .await;
    assert_eq!(changed.status, 200);
    assert_eq!(changed.body, b"versioned");

    let mismatch = t
        .client
        .get_object_with("cond", "k", &[("if-match", "\"0000\"")])
        .await;
    mismatch.assert_error(412, "PreconditionFailed");
    let matched = t
        .client
        .get_object_with("cond", "k", &[("if-match", etag.as_str())])
        .await;
    assert_eq!(matched.status, 200);

    let later = "Fri, 01 Jan 2100 00:00:00 GMT";
    let not_modified = t
        .client
        .get_object_with("cond", "k", &[("if-modified-since", later)])
        .await;
    assert_eq!(not_modified.status, 304);
    let earlier = "Thu, 01 Jan 1970 00:00:01 GMT";
    let precondition = t
        .client
        .get_object_with("cond", "k", &[("if-unmodified-since", earlier)])
        .await;
    precondition.assert_error(412, "PreconditionFailed");
}

#[tokio::test]
async fn conditional_writes() {
    let t = start().await;
    t.client.create_bucket("cond").await;
    let create_only = [("if-none-match", "*")];
    let first = t
        .client
        .send(
            "PUT",
            "/cond/k",
            &create_only,
            b"one".to_vec(),
            Payload::Signed,
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.text());
    let second = t
        .client
        .send(
            "PUT",
            "/cond/k",
            &create_only,
            b"two".to_vec(),
            Payload::Signed,
        )
        .await;
    second.assert_error(412, "PreconditionFailed");
    assert_eq!(t.client.get_object("cond", "k").await.body, b"one");
}

#[tokio::test]
async fn copy_object_keeps_or_replaces_metadata() {
    let t = start().await;
    t.client.create_bucket("src-bucket").await;
    t.client.create_bucket("dst-bucket").await;
    t.client
        .put_object(
            "src-bucket",
            "dir/orig name.txt",
            b"copy me",
            Some("text/plain"),
        )
        .await;
    let source = format!("/src-bucket/{}", encode_key("dir/orig name.txt"));

    let copy = t
        .client
        .send(
            "PUT",
            "/dst-bucket/copy.txt",
            &[("x-amz-copy-source", source.as_str())],
            Vec::new(),
            Payload::Signed,
        )
        .await;
    assert_eq!(copy.status, 200, "{}", copy.text());
    assert_eq!(
        copy.xml_value("ETag"),
        Some(format!("\"{}\"", md5_hex(b"copy me")))
    );
    let get = t.client.get_object("dst-bucket", "copy.txt").await;
    assert_eq!(get.body, b"copy me");
    assert_eq!(get.header("content-type").as_deref(), Some("text/plain"));

    let replace = [
        ("x-amz-copy-source", source.as_str()),
        ("x-amz-metadata-directive", "REPLACE"),
        ("content-type", "application/octet-stream"),
    ];
    let copy = t
        .client
        .send(
            "PUT",
            "/dst-bucket/replaced",
            &replace,
            Vec::new(),
            Payload::Signed,
        )
        .await;
    assert_eq!(copy.status, 200, "{}", copy.text());
    let get = t.client.get_object("dst-bucket", "replaced").await;
    assert_eq!(
        get.header("content-type").as_deref(),
        Some("application/octet-stream")
    );
    assert_eq!(get.body, b"copy me");

    let missing = [("x-amz-copy-source", "/src-bucket/nope")];
    let copy = t
        .client
        .send(
            "PUT",
            "/dst-bucket/x",
            &missing,
            Vec::new(),
            Payload::Signed,
        )
        .await;
    copy.assert_error(404, "NoSuchKey");
    let copy = t
        .client
        .send(
            "PUT",
            "/no-dst/x",
            &[("x-amz-copy-source", source.as_str())],
            Vec::new(),
            Payload::Signed,
        )
        .await;
    copy.assert_error(404, "NoSuchBucket");
}

#[tokio::test]
async fn delete_objects_in_bulk() {
    let t = start().await;
    t.client.create_bucket("bulk").await;
    for key in ["one", "two", "dir/three"] {
        t.client.put_object("bulk", key, b"x", None).await;
    }
    let body = b"<Delete><Object><Key>one</Key></Object><Object><Key>dir/three</Key></Object><Object><Key>never-existed</Key></Object></Delete>".to_vec();
    let md5 = base64_md5(&body);
    let resp = t
        .client
        .send(
            "POST",
            "/bulk?delete",
            &[("content-md5", md5.as_str())],
            body,
            Payload::Signed,
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let mut deleted = resp.xml_values("Key");
    deleted.sort();
    assert_eq!(deleted, ["dir/three", "never-existed", "one"]);
    assert_eq!(t.client.list("bulk", "").await.xml_values("Key"), ["two"]);
}

#[tokio::test]
async fn unsupported_operations_answer_not_implemented() {
    let t = start().await;
    t.client.create_bucket("multi").await;
    let resp = t
        .client
        .send(
            "POST",
            "/multi/big?uploads",
            &[],
            Vec::new(),
            Payload::Signed,
        )
        .await;
    resp.assert_error(501, "NotImplemented");
}

#[tokio::test]
async fn additional_checksums_are_verified_and_returned_on_request() {
    let t = start().await;
    t.client.create_bucket("sums").await;
    // CRC32 of "abc" is 0x352441C2.
    let good = [("x-amz-checksum-crc32", "NSRBwg==")];
    let put = t
        .client
        .send("PUT", "/sums/k", &good, b"abc".to_vec(), Payload::Signed)
        .await;
    assert_eq!(put.status, 200, "{}", put.text());
    assert_eq!(
        put.header("x-amz-checksum-crc32").as_deref(),
        Some("NSRBwg==")
    );

    let plain = t.client.get_object("sums", "k").await;
    assert_eq!(plain.header("x-amz-checksum-crc32"), None);
    let asked = t
        .client
        .get_object_with("sums", "k", &[("x-amz-checksum-mode", "ENABLED")])
        .await;
    assert_eq!(
        asked.header("x-amz-checksum-crc32").as_deref(),
        Some("NSRBwg==")
    );

    let bad = [("x-amz-checksum-crc32", "AAAAAA==")];
    let put = t
        .client
        .send("PUT", "/sums/k", &bad, b"xyz".to_vec(), Payload::Signed)
        .await;
    put.assert_error(400, "BadDigest");
    assert_eq!(t.client.get_object("sums", "k").await.body, b"abc");
}

#[tokio::test]
async fn head_errors_have_status_but_no_body() {
    let t = start().await;
    t.client.create_bucket("heads").await;
    let missing = t.client.head_object("heads", "nope").await;
    assert_eq!(missing.status, 404);
    assert!(missing.body.is_empty());
    let no_bucket = t.client.head_object("no-such-bucket", "nope").await;
    assert_eq!(no_bucket.status, 404);
}
