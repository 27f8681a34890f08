//! ListObjects (v1) and ListObjectsV2: contents, prefixes, delimiters, pagination and
//! `EncodingType=url`.

mod common;

use common::{encode_query, form_decode, start, S3Client};

async fn bucket_with(client: &S3Client, bucket: &str, keys: &[&str]) {
    assert_eq!(client.create_bucket(bucket).await.status, 200);
    for key in keys {
        let put = client.put_object(bucket, key, key.as_bytes(), None).await;
        assert_eq!(put.status, 200, "put {key}: {}", put.text());
    }
}

#[tokio::test]
async fn list_objects_v1_describes_each_object() {
    let t = start().await;
    bucket_with(&t.client, "shelf", &["b.txt", "a.txt", "test/test.txt"]).await;
    let resp = t.client.list("shelf", "").await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert!(resp.text().contains("<ListBucketResult"), "{}", resp.text());
    assert_eq!(resp.xml_value("Name").as_deref(), Some("shelf"));
    assert_eq!(resp.xml_value("Prefix").as_deref(), Some(""));
    assert_eq!(resp.xml_value("Marker").as_deref(), Some(""));
    assert_eq!(resp.xml_value("MaxKeys").as_deref(), Some("1000"));
    assert_eq!(resp.xml_value("IsTruncated").as_deref(), Some("false"));
    assert_eq!(resp.xml_values("Key"), ["a.txt", "b.txt", "test/test.txt"]);
    assert_eq!(resp.xml_values("Size"), ["5", "5", "13"]);
    assert_eq!(resp.xml_values("StorageClass"), ["STANDARD"; 3]);
    assert_eq!(
        resp.xml_values("ETag")[0],
        format!("\"{}\"", common::md5_hex(b"a.txt"))
    );
    let modified = resp.xml_values("LastModified");
    assert!(
        modified[0].ends_with('Z') && modified[0].contains('T'),
        "{modified:?}"
    );
}

#[tokio::test]
async fn prefix_and_delimiter_group_keys() {
    let t = start().await;
    let keys = [
        "photos/2024/a.jpg",
        "photos/2024/b.jpg",
        "photos/2025/c.jpg",
        "photos/top.jpg",
        "readme",
    ];
    bucket_with(&t.client, "album", &keys).await;

    let root = t.client.list("album", "delimiter=%2F").await;
    assert_eq!(root.xml_values("Key"), ["readme"]);
    assert_eq!(root.xml_values("Prefix")[1..], ["photos/"]);

    let photos = t
        .client
        .list("album", "list-type=2&prefix=photos%2F&delimiter=%2F")
        .await;
    assert_eq!(photos.status, 200, "{}", photos.text());
    assert_eq!(photos.xml_values("Key"), ["photos/top.jpg"]);
    // The first <Prefix> echoes the request, the rest are CommonPrefixes.
    assert_eq!(
        photos.xml_values("Prefix"),
        ["photos/", "photos/2024/", "photos/2025/"]
    );
    assert_eq!(photos.xml_value("KeyCount").as_deref(), Some("3"));
    assert_eq!(photos.xml_value("Delimiter").as_deref(), Some("/"));
}

#[tokio::test]
async fn v1_pagination_with_max_keys_and_marker() {
    let t = start().await;
    let keys = ["k1", "k2", "k3", "k4", "k5"];
    bucket_with(&t.client, "pages", &keys).await;

    let mut seen = Vec::new();
    let mut marker = String::new();
    loop {
        let resp = t
            .client
            .list(
                "pages",
                &format!("max-keys=2&marker={}", encode_query(&marker)),
            )
            .await;
        assert_eq!(resp.status, 200, "{}", resp.text());
        let page = resp.xml_values("Key");
        assert!(page.len() <= 2);
        seen.extend(page.clone());
        if resp.xml_value("IsTruncated").as_deref() == Some("false") {
            break;
        }
        // Without a delimiter S3 sends no NextMarker: resume from the last key.
        assert_eq!(resp.xml_value("NextMarker"), None);
        marker = page.last().unwrap().clone();
    }
    assert_eq!(seen, keys);
}

#[tokio::test]
async fn v1_with_delimiter_reports_next_marker() {
    let t = start().await;
    bucket_with(&t.client, "next-marker", &["a/1", "a/2", "b/1", "c"]).await;
    let first = t
        .client
        .list("next-marker", "delimiter=%2F&max-keys=1")
        .await;
    assert_eq!(first.xml_value("IsTruncated").as_deref(), Some("true"));
    assert_eq!(first.xml_value("NextMarker").as_deref(), Some("a/"));
    let second = t
        .client
        .list("next-marker", "delimiter=%2F&max-keys=5&marker=a%2F")
        .await;
    assert_eq!(second.xml_values("Prefix")[1..], ["b/"]);
    assert_eq!(second.xml_values("Key"), ["c"]);
}

#[tokio::test]
async fn v2_continuation_tokens_walk_every_key_once() {
    let t = start().await;
    let keys: Vec<String> = (0..7).map(|i| format!("item-{i:02}")).collect();
    let key_refs: Vec<&str> = keys.iter().map(String::as_str).collect();
    bucket_with(&t.client, "walk", &key_refs).await;

    let mut seen = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let mut query = "list-type=2&max-keys=3".to_owned();
        if let Some(token) = &token {
            query.push_str(&format!("&continuation-token={}", encode_query(token)));
        }
        let resp = t.client.list("walk", &query).await;
        assert_eq!(resp.status, 200, "{}", resp.text());
        let page = resp.xml_values("Key");
        assert_eq!(resp.xml_value("KeyCount"), Some(page.len().to_string()));
        seen.extend(page);
        match resp.xml_value("NextContinuationToken") {
            Some(next) => {
                assert_eq!(resp.xml_value("IsTruncated").as_deref(), Some("true"));
                token = Some(next);
            }
            None => break,
        }
    }
    assert_eq!(seen, keys);

    let after = t
        .client
        .list("walk", "list-type=2&start-after=item-04")
        .await;
    assert_eq!(after.xml_values("Key"), ["item-05", "item-06"]);
    let bad = t
        .client
        .list("walk", "list-type=2&continuation-token=%25%25%25")
        .await;
    bad.assert_error(400, "InvalidArgument");
}

const ODD_KEYS: [&str; 7] = [
    "plus+sign.txt",
    "percent%25literal.txt",
    "100% sure",
    "with space/and more.txt",
    "ünïcödé/日本語",
    "xml<&>\"'",
    "tilde~star*",
];

#[tokio::test]
async fn encoding_type_url_encodes_keys_so_they_round_trip() {
    let t = start().await;
    bucket_with(&t.client, "odd", &ODD_KEYS).await;
    for query in ["encoding-type=url", "list-type=2&encoding-type=url"] {
        let resp = t.client.list("odd", query).await;
        assert_eq!(resp.status, 200, "{}", resp.text());
        assert_eq!(resp.xml_value("EncodingType").as_deref(), Some("url"));
        let raw = resp.xml_values("Key");
        // Encoded on the wire: no raw space, plus or non-ASCII.
        for key in &raw {
            assert!(
                key.bytes().all(|b| b.is_ascii() && b != b' '),
                "not encoded: {key}"
            );
        }
        let mut decoded: Vec<String> = raw.iter().map(|k| form_decode(k)).collect();
        decoded.sort();
        let mut expected: Vec<String> = ODD_KEYS.iter().map(|k| (*k).to_owned()).collect();
        expected.sort();
        assert_eq!(decoded, expected, "{query}");
    }
}

#[tokio::test]
async fn encoding_type_url_encodes_prefixes_and_delimiter_results() {
    let t = start().await;
    bucket_with(&t.client, "odd", &ODD_KEYS).await;
    let query = format!(
        "list-type=2&encoding-type=url&delimiter=%2F&prefix={}",
        encode_query("with space/")
    );
    let resp = t.client.list("odd", &query).await;
    assert_eq!(resp.xml_value("Prefix").as_deref(), Some("with+space/"));
    assert_eq!(resp.xml_values("Key"), ["with+space/and+more.txt"]);

    let resp = t
        .client
        .list("odd", "encoding-type=url&delimiter=%2F")
        .await;
    let prefixes: Vec<String> = resp.xml_values("Prefix")[1..]
        .iter()
        .map(|p| form_decode(p))
        .collect();
    assert_eq!(prefixes, ["with space/", "ünïcödé/"]);
}

#[tokio::test]
async fn without_encoding_type_keys_are_returned_verbatim() {
    let t = start().await;
    bucket_with(&t.client, "odd", &ODD_KEYS).await;
    let resp = t.client.list("odd", "").await;
    let mut keys = resp.xml_values("Key");
    keys.sort();
    let mut expected: Vec<String> = ODD_KEYS.iter().map(|k| (*k).to_owned()).collect();
    expected.sort();
    assert_eq!(keys, expected);
}

#[tokio::test]
async fn invalid_listing_parameters_are_refused() {
    let t = start().await;
    bucket_with(&t.client, "params", &["k"]).await;
    t.client
        .list("params", "encoding-type=base64")
        .await
        .assert_error(400, "InvalidArgument");
    t.client
        .list("params", "max-keys=-1")
        .await
        .assert_error(400, "InvalidArgument");
}

#[tokio::test]
async fn empty_bucket_lists_nothing() {
    let t = start().await;
    t.client.create_bucket("void").await;
    let resp = t.client.list("void", "list-type=2").await;
    assert_eq!(resp.status, 200);
    assert!(resp.xml_values("Key").is_empty());
    assert_eq!(resp.xml_value("KeyCount").as_deref(), Some("0"));
    assert_eq!(resp.xml_value("IsTruncated").as_deref(), Some("false"));
}
