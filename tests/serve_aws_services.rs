//! AWS service integrations over HTTP: `apigate serve` in front of moto's server (a real
//! implementation of the services' protocols, started here), with AWS's Kinesis samples and
//! `tests/serve/aws_services.yaml`. What the gateway did is read back through an SDK — boto3,
//! from the virtualenv `scripts/test` installs moto into — not through the gateway.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod support;

use reqwest::{Client, StatusCode};
use serde_json::{json, Value};
use support::*;

/// The gateway for `definition`, every AWS service at moto.
async fn gateway(definition: &str, moto: &Moto, stage_variables: &[(&str, &str)]) -> Harness {
    let mut options = Options::new(definition, Store::Embedded)
        .arg("--no-auth")
        .arg("--aws-endpoint")
        .arg(&moto.endpoint)
        .env("AWS_ACCESS_KEY_ID", "testing")
        .env("AWS_SECRET_ACCESS_KEY", "testing");
    for (k, v) in stage_variables {
        options = options.arg("--stage-variable").arg(&format!("{k}={v}"));
    }
    start(options).await
}

async fn json_of(r: reqwest::Response) -> Value {
    let text = r.text().await.unwrap();
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}: {text}"))
}

/// The body of a 200 as JSON; `what` names the step when it is not.
async fn ok_json(r: reqwest::Response, what: &str) -> Value {
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{what}: {text}");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{what}: {e}: {text}"))
}

/// AWS's Kinesis proxy samples (both dialects): CreateStream, ListStreams, DescribeStream,
/// PutRecord, PutRecords, GetShardIterator and GetRecords through the gateway; the records
/// read back through boto3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kinesis_samples() {
    for name in ["kinesis-proxy-swagger2.json", "kinesis-proxy-oas30.json"] {
        let sample = aws_sample_path(name);
        let moto = start_moto().await;
        let h = gateway(&sample, &moto, &[]).await;
        // The 2.0 file's basePath names the stage; the 3.0 file has no servers: served at /.
        let stage = if name.contains("oas30") { "" } else { "/test" };
        let url = |p: &str| h.url(&format!("{stage}{p}"));
        let c = Client::new();

        let r = c.post(url("/streams/orders")).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::OK,
            "{name}: {}",
            r.text().await.unwrap()
        );
        let r = c.get(url("/streams")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        assert_eq!(json_of(r).await["StreamNames"], json!(["orders"]), "{name}");
        let r = c.get(url("/streams/orders")).send().await.unwrap();
        let description = json_of(r).await;
        assert_eq!(description["StreamDescription"]["StreamName"], "orders");
        assert_eq!(
            description["StreamDescription"]["Shards"]
                .as_array()
                .unwrap()
                .len(),
            5,
            "the template's ShardCount"
        );

        // PutRecord: the template base64-encodes `$input.json('$.Data')` — JSON text, quotes
        // included.
        let r = c
            .put(url("/streams/orders/record"))
            .header("content-type", "application/json")
            .body(r#"{"Data": "hello", "PartitionKey": "p1"}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let put = json_of(r).await;
        assert!(put["SequenceNumber"].is_string(), "{put}");
        let shard = put["ShardId"].as_str().unwrap().to_string();

        // PutRecords: the sample's template has no #foreach, so `$elem.data` renders empty and
        // `#if($foreach.hasNext),#end` (an invalid reference is "" under AWS's Velocity
        // configuration, and "" is true) leaves a trailing comma: the payload is not JSON, as on
        // AWS (the oracle in tests/vtl renders the same). Kinesis refuses it; the sample's only
        // integration response, `default`, passes the error on with a 200; nothing is stored.
        let r = c
            .put(url("/streams/orders/records"))
            .header("content-type", "application/json")
            .body(r#"{"records": [{"data": "x", "partition-key": "p"}]}"#)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let refused = json_of(r).await;
        assert!(refused["__type"].is_string(), "{refused}");

        let r = c
            .get(url(&format!(
                "/streams/orders/sharditerator?shard-id={shard}"
            )))
            .send()
            .await
            .unwrap();
        // (moto ends its iterators with a newline; Kinesis's have none.)
        let iterator = ok_json(r, &format!("{name} GetShardIterator")).await["ShardIterator"]
            .as_str()
            .unwrap()
            .trim()
            .to_string();
        // `$input.params('Shard-Iterator')` is case-sensitive (as on AWS, tests/serve_fidelity.rs):
        // the header goes with the sample's spelling, not reqwest's lower case.
        let titled = Client::builder()
            .http1_title_case_headers()
            .build()
            .unwrap();
        let r = titled
            .get(url("/streams/orders/records"))
            .header("Shard-Iterator", &iterator)
            .send()
            .await
            .unwrap();
        let records = ok_json(r, &format!("{name} GetRecords with {iterator:?}")).await;
        let data: Vec<&str> = records["Records"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["Data"].as_str().unwrap())
            .collect();
        assert!(data.contains(&"ImhlbGxvIg=="), "{records}");

        // What Kinesis holds, read through the SDK.
        let held = sdk(
            &moto,
            "k = c('kinesis')\n\
             out = []\n\
             for s in k.describe_stream(StreamName='orders')['StreamDescription']['Shards']:\n    \
             it = k.get_shard_iterator(StreamName='orders', ShardId=s['ShardId'], ShardIteratorType='TRIM_HORIZON')['ShardIterator']\n    \
             out += [[r['PartitionKey'], r['Data'].decode()] for r in k.get_records(ShardIterator=it)['Records']]\n\
             print(json.dumps(sorted(out)))",
        );
        assert_eq!(held, json!([["p1", "\"hello\""]]), "{name}");
        assert!(h.stop().success());
    }
}

/// SQS SendMessage through a `path/` URI (a form body, as AWS's SQS tutorial) and an `action/`
/// URI (query parameters); the messages received through boto3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqs_path_and_action() {
    let moto = start_moto().await;
    let queue = sdk(
        &moto,
        "print(json.dumps(c('sqs').create_queue(QueueName='orders')['QueueUrl']))",
    );
    let queue_url = queue.as_str().unwrap().to_string();
    let h = gateway(
        "tests/serve/aws_services.yaml",
        &moto,
        &[("queue", "orders"), ("queueUrl", &queue_url)],
    )
    .await;
    let c = Client::new();
    let r = c
        .post(h.url("/dev/queue/path"))
        .header("content-type", "application/json")
        .body(r#"{"order": 1, "note": "a&b=c"}"#)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("SendMessageResponse"), "{text}");

    let r = c
        .post(h.url("/dev/queue/action"))
        .header("content-type", "application/json")
        .body(r#"{"message": "second one"}"#)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let text = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("SendMessageResponse"), "{text}");

    let received = sdk(
        &moto,
        &format!(
            "q = c('sqs')\n\
             m = q.receive_message(QueueUrl='{queue_url}', MaxNumberOfMessages=10)['Messages']\n\
             print(json.dumps(sorted(x['Body'] for x in m)))"
        ),
    );
    assert_eq!(
        received,
        json!(["second one", r#"{"order": 1, "note": "a&b=c"}"#])
    );
    assert!(h.stop().success());
}

/// DynamoDB PutItem and GetItem (JSON protocol: X-Amz-Target and Content-Type set by the
/// gateway), and a service error reaching the client through a selection pattern.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dynamodb_put_get_and_errors() {
    let moto = start_moto().await;
    sdk(
        &moto,
        "c('dynamodb').create_table(TableName='items', KeySchema=[{'AttributeName': 'id', 'KeyType': 'HASH'}],\n    \
         AttributeDefinitions=[{'AttributeName': 'id', 'AttributeType': 'S'}], BillingMode='PAY_PER_REQUEST')\n\
         print('null')",
    );
    let h = gateway(
        "tests/serve/aws_services.yaml",
        &moto,
        &[("table", "items")],
    )
    .await;
    let c = Client::new();
    let r = c
        .put(h.url("/dev/items/42"))
        .header("content-type", "application/json")
        .body(r#"{"name": "answer"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(json_of(r).await, json!({"stored": "42"}));
    let held = sdk(
        &moto,
        "print(json.dumps(c('dynamodb').get_item(TableName='items', Key={'id': {'S': '42'}})['Item']))",
    );
    assert_eq!(held, json!({"id": {"S": "42"}, "name": {"S": "answer"}}));

    let r = c.get(h.url("/dev/items/42")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(json_of(r).await, json!({"id": "42", "name": "answer"}));
    assert!(h.stop().success());

    // Another table name: DynamoDB's 400 ResourceNotFoundException, selected by `4\d{2}`.
    let h = gateway(
        "tests/serve/aws_services.yaml",
        &moto,
        &[("table", "missing")],
    )
    .await;
    let r = c
        .put(h.url("/dev/items/1"))
        .header("content-type", "application/json")
        .body(r#"{"name": "x"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let error = json_of(r).await;
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .ends_with("ResourceNotFoundException"),
        "{error}"
    );
    assert!(h.stop().success());
}

/// SNS Publish (Query protocol, parameters in the query string) delivered to a subscribed SQS
/// queue; Step Functions StartExecution; EventBridge PutEvents routed by a rule to SQS — each
/// read back through boto3.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sns_step_functions_and_eventbridge() {
    let moto = start_moto().await;
    let setup = sdk(
        &moto,
        "sqs = c('sqs')\n\
         inbox = sqs.create_queue(QueueName='inbox')['QueueUrl']\n\
         inbox_arn = sqs.get_queue_attributes(QueueUrl=inbox, AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n\
         bus = sqs.create_queue(QueueName='bus')['QueueUrl']\n\
         bus_arn = sqs.get_queue_attributes(QueueUrl=bus, AttributeNames=['QueueArn'])['Attributes']['QueueArn']\n\
         topic = c('sns').create_topic(Name='alerts')['TopicArn']\n\
         c('sns').subscribe(TopicArn=topic, Protocol='sqs', Endpoint=inbox_arn, Attributes={'RawMessageDelivery': 'true'})\n\
         machine = c('stepfunctions').create_state_machine(name='orders', roleArn='arn:aws:iam::123456789012:role/sfn',\n    \
         definition=json.dumps({'StartAt': 'Done', 'States': {'Done': {'Type': 'Pass', 'End': True}}}))['stateMachineArn']\n\
         ev = c('events')\n\
         ev.put_rule(Name='orders', EventPattern=json.dumps({'source': ['apigate.test']}))\n\
         ev.put_targets(Rule='orders', Targets=[{'Id': 'q', 'Arn': bus_arn}])\n\
         print(json.dumps({'inbox': inbox, 'bus': bus, 'topic': topic, 'machine': machine}))",
    );
    let text = |k: &str| setup[k].as_str().unwrap().to_string();
    let (topic, machine) = (text("topic"), text("machine"));
    let h = gateway(
        "tests/serve/aws_services.yaml",
        &moto,
        &[("topic", &topic), ("machine", &machine)],
    )
    .await;
    let c = Client::new();

    let r = c
        .post(h.url("/dev/notify"))
        .header("content-type", "application/json")
        .body(r#"{"text": "disk full"}"#)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let body = r.text().await.unwrap();
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.contains("PublishResponse"), "{body}");

    let r = c
        .post(h.url("/dev/orders"))
        .header("content-type", "application/json")
        .body(r#"{"id": "order-7", "total": 12}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let started = json_of(r).await;
    assert!(
        started["executionArn"]
            .as_str()
            .unwrap()
            .ends_with(":order-7"),
        "{started}"
    );

    let r = c
        .post(h.url("/dev/events"))
        .header("content-type", "application/json")
        .body(r#"{"order": "order-7"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(json_of(r).await["FailedEntryCount"], 0);

    let seen = sdk(
        &moto,
        &format!(
            "sqs = c('sqs')\n\
             note = sqs.receive_message(QueueUrl='{}')['Messages'][0]['Body']\n\
             event = json.loads(sqs.receive_message(QueueUrl='{}')['Messages'][0]['Body'])\n\
             ex = c('stepfunctions').describe_execution(executionArn='{}')\n\
             print(json.dumps({{'note': note, 'detail': event['detail'], 'input': json.loads(ex['input'])}}))",
            text("inbox"),
            text("bus"),
            started["executionArn"].as_str().unwrap()
        ),
    );
    assert_eq!(
        seen,
        json!({
            "note": "disk full",
            "detail": {"order": "order-7"},
            "input": {"id": "order-7", "total": 12}
        })
    );
    assert!(h.stop().success());
}
