//! Bucket operations as the MyS3 API uses them: GET / (ListBuckets), PUT /bucket,
//! DELETE /bucket, plus HeadBucket and GetBucketLocation.

mod common;

use common::{start, start_in_region, Payload};

#[tokio::test]
async fn list_buckets_starts_empty_and_lists_names_in_order() {
    let t = start().await;
    let resp = t
        .client
        .send("GET", "/", &[], Vec::new(), Payload::Signed)
        .await;
    assert_eq!(resp.status, 200);
    assert!(
        resp.text().contains("<ListAllMyBucketsResult"),
        "{}",
        resp.text()
    );
    assert!(resp.xml_values("Name").is_empty());

    for name in ["zeta-bucket", "alpha-bucket", "mid.bucket"] {
        assert_eq!(t.client.create_bucket(name).await.status, 200);
    }
    let resp = t
        .client
        .send("GET", "/", &[], Vec::new(), Payload::Signed)
        .await;
    assert_eq!(resp.status, 200);
    assert_eq!(
        resp.xml_values("Name"),
        ["alpha-bucket", "mid.bucket", "zeta-bucket"]
    );
    assert_eq!(resp.xml_values("CreationDate").len(), 3);
    assert!(resp.header("content-type").unwrap().contains("xml"));
    assert!(resp.header("content-length").is_some());
    assert!(resp.header("date").is_some());
    assert_eq!(resp.header("x-amz-request-id").map(|id| id.len()), Some(16));
}

#[tokio::test]
async fn create_bucket_without_body_answers_location() {
    let t = start().await;
    let resp = t.client.create_bucket("photos").await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.header("location").as_deref(), Some("/photos"));
    let head = t
        .client
        .send("HEAD", "/photos", &[], Vec::new(), Payload::Signed)
        .await;
    assert_eq!(head.status, 200);
    assert_eq!(
        head.header("x-amz-bucket-region").as_deref(),
        Some("us-east-1")
    );
}

#[tokio::test]
async fn create_bucket_with_matching_location_constraint() {
    let t = start_in_region("eu-west-1").await;
    let body = b"<CreateBucketConfiguration xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><LocationConstraint>eu-west-1</LocationConstraint></CreateBucketConfiguration>";
    let resp = t
        .client
        .send(
            "PUT",
            "/euro",
            &[("content-type", "application/xml")],
            body.to_vec(),
            Payload::Signed,
        )
        .await;
    assert_eq!(resp.status, 200, "{}", resp.text());
    let location = t
        .client
        .send("GET", "/euro?location", &[], Vec::new(), Payload::Signed)
        .await;
    assert_eq!(location.status, 200, "{}", location.text());
    assert_eq!(
        location.xml_value("LocationConstraint").as_deref(),
        Some("eu-west-1")
    );
}

#[tokio::test]
async fn create_bucket_with_another_region_is_refused() {
    let t = start().await;
    let body = b"<CreateBucketConfiguration><LocationConstraint>ap-south-1</LocationConstraint></CreateBucketConfiguration>";
    let resp = t
        .client
        .send("PUT", "/elsewhere", &[], body.to_vec(), Payload::Signed)
        .await;
    resp.assert_error(400, "IllegalLocationConstraintException");
    let head = t
        .client
        .send("HEAD", "/elsewhere", &[], Vec::new(), Payload::Signed)
        .await;
    assert_eq!(head.status, 404);
}

#[tokio::test]
async fn us_east_1_location_is_reported_empty() {
    let t = start().await;
    t.client.create_bucket("virginia").await;
    let location = t
        .client
        .send(
            "GET",
            "/virginia?location",
            &[],
            Vec::new(),
            Payload::Signed,
        )
        .await;
    assert_eq!(location.status, 200);
    assert!(
        location.text().contains("LocationConstraint"),
        "{}",
        location.text()
    );
    assert_eq!(
        location.xml_value("LocationConstraint").as_deref(),
        Some("")
    );
}

#[tokio::test]
async fn recreating_an_owned_bucket_follows_s3_per_region() {
    // us-east-1 keeps S3's legacy answer: 200.
    let t = start().await;
    assert_eq!(t.client.create_bucket("again").await.status, 200);
    t.client
        .put_object("again", "kept", b"still here", None)
        .await;
    assert_eq!(t.client.create_bucket("again").await.status, 200);
    assert_eq!(
        t.client.get_object("again", "kept").await.body,
        b"still here"
    );

    // Everywhere else: 409 BucketAlreadyOwnedByYou.
    let t = start_in_region("eu-central-1").await;
    assert_eq!(t.client.create_bucket("again").await.status, 200);
    t.client
        .create_bucket("again")
        .await
        .assert_error(409, "BucketAlreadyOwnedByYou");
}

#[tokio::test]
async fn invalid_bucket_names_are_refused() {
    let t = start().await;
    for name in ["ab", "UpperCase", "under_score"] {
        t.client
            .create_bucket(name)
            .await
            .assert_error(400, "InvalidBucketName");
    }
}

#[tokio::test]
async fn delete_bucket_empty_missing_and_not_empty() {
    let t = start().await;
    t.client.create_bucket("doomed").await;
    t.client
        .put_object("doomed", "test/test.txt", b"x", None)
        .await;

    let resp = t
        .client
        .send("DELETE", "/doomed", &[], Vec::new(), Payload::Signed)
        .await;
    resp.assert_error(409, "BucketNotEmpty");
    assert_eq!(
        t.client.get_object("doomed", "test/test.txt").await.status,
        200
    );

    assert_eq!(
        t.client
            .delete_object("doomed", "test/test.txt")
            .await
            .status,
        204
    );
    let resp = t
        .client
        .send("DELETE", "/doomed", &[], Vec::new(), Payload::Signed)
        .await;
    assert_eq!(resp.status, 204, "{}", resp.text());

    let resp = t
        .client
        .send("DELETE", "/doomed", &[], Vec::new(), Payload::Signed)
        .await;
    resp.assert_error(404, "NoSuchBucket");
    assert_eq!(
        resp.xml_value("Message").as_deref(),
        Some("The specified bucket does not exist")
    );

    let listed = t
        .client
        .send("GET", "/", &[], Vec::new(), Payload::Signed)
        .await;
    assert!(listed.xml_values("Name").is_empty());
    // The name can be used again.
    assert_eq!(t.client.create_bucket("doomed").await.status, 200);
    let listing = t.client.list("doomed", "").await;
    assert!(listing.xml_values("Key").is_empty(), "{}", listing.text());
}

#[tokio::test]
async fn operations_on_a_missing_bucket_say_no_such_bucket() {
    let t = start().await;
    t.client
        .list("ghost", "")
        .await
        .assert_error(404, "NoSuchBucket");
    t.client
        .list("ghost", "list-type=2")
        .await
        .assert_error(404, "NoSuchBucket");
    t.client
        .get_object("ghost", "k")
        .await
        .assert_error(404, "NoSuchBucket");
    t.client
        .delete_object("ghost", "k")
        .await
        .assert_error(404, "NoSuchBucket");
    let head = t
        .client
        .send("HEAD", "/ghost", &[], Vec::new(), Payload::Signed)
        .await;
    assert_eq!(head.status, 404);
    let location = t
        .client
        .send("GET", "/ghost?location", &[], Vec::new(), Payload::Signed)
        .await;
    location.assert_error(404, "NoSuchBucket");
}
