//! The request templates of AWS's sample APIs (../shared/aws-samples) and the developer
//! guide's examples, parse-error positions, limits, and a no-panic check over garbage input.

#![allow(clippy::unwrap_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use apigate_template::{
    Interrupt, Interruption, Limit, Limits, ParseError, Render, RenderError, RenderInput, Template,
};
use serde_json::json;

fn render_with(
    template: &str,
    body: &str,
    path: &[(&str, &str)],
    qs: &[(&str, &str)],
    header: &[(&str, &str)],
    limits: &Limits,
) -> Result<String, RenderError> {
    let own = |p: &[(&str, &str)]| -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    };
    let (path, qs, header) = (own(path), own(qs), own(header));
    let context = json!({"httpMethod": "GET", "resourcePath": "/{a}"});
    let stage = BTreeMap::new();
    let t = match Template::parse(template) {
        Ok(t) => t,
        Err(e) => {
            return Err(RenderError::MethodInvocation {
                message: format!("parse error: {e}"),
            })
        }
    };
    t.render(
        &RenderInput {
            body,
            path: &path,
            querystring: &qs,
            header: &header,
            context: &context,
            stage_variables: &stage,
        },
        limits,
    )
    .map(|r| r.output)
}

fn render(template: &str, body: &str, path: &[(&str, &str)], qs: &[(&str, &str)]) -> String {
    render_with(template, body, path, qs, &[], &Limits::default()).unwrap()
}

#[test]
fn kinesis_sample_templates() {
    let name = [("stream-name", "s1")];
    assert_eq!(render("{\n}", "", &name, &[]), "{\n}");
    assert_eq!(
        render(
            "{\n    \"StreamName\": \"$input.params('stream-name')\"\n}",
            "",
            &name,
            &[]
        ),
        "{\n    \"StreamName\": \"s1\"\n}"
    );
    assert_eq!(
        render(
            "{\n    \"ShardCount\": 5,\n    \"StreamName\": \"$input.params('stream-name')\"\n}",
            "",
            &name,
            &[]
        ),
        "{\n    \"ShardCount\": 5,\n    \"StreamName\": \"s1\"\n}"
    );
    assert_eq!(
        render(
            "{\n    \"ShardId\": \"$input.params('shard-id')\",\n    \"ShardIteratorType\": \"TRIM_HORIZON\",\n    \"StreamName\": \"$input.params('stream-name')\"\n}",
            "",
            &name,
            &[("shard-id", "shardId-000")]
        ),
        "{\n    \"ShardId\": \"shardId-000\",\n    \"ShardIteratorType\": \"TRIM_HORIZON\",\n    \"StreamName\": \"s1\"\n}"
    );
    assert_eq!(
        render_with(
            "{\n    \"ShardIterator\": \"$input.params('Shard-Iterator')\"\n}",
            "",
            &name,
            &[],
            &[("Shard-Iterator", "AAAA")],
            &Limits::default()
        )
        .unwrap(),
        "{\n    \"ShardIterator\": \"AAAA\"\n}"
    );
    // PutRecord: the record data is base64 of its JSON.
    assert_eq!(
        render(
            "{\n    \"StreamName\": \"$input.params('stream-name')\",\n    \"Data\": \"$util.base64Encode($input.json('$.Data'))\",\n    \"PartitionKey\": \"$input.path('$.PartitionKey')\"\n}",
            r#"{"Data": "some data", "PartitionKey": "pk"}"#,
            &name,
            &[]
        ),
        "{\n    \"StreamName\": \"s1\",\n    \"Data\": \"InNvbWUgZGF0YSI=\",\n    \"PartitionKey\": \"pk\"\n}"
    );
    // PutRecords as published in the sample (its #foreach line is missing): $elem and
    // $foreach.hasNext are unresolvable, so both are "" -- and "" is true in `#if`, so the
    // comma is written, as API Gateway's Velocity does.
    assert_eq!(
        render(
            "{\n    \"StreamName\": \"$input.params('stream-name')\",\n    \"Records\": [\n          {\n            \"Data\": \"$util.base64Encode($elem.data)\",\n            \"PartitionKey\": \"$elem.partition-key\"\n          }#if($foreach.hasNext),#end\n    ]\n}",
            r#"{"records": [{"data": "a", "partition-key": "k"}]}"#,
            &name,
            &[]
        ),
        "{\n    \"StreamName\": \"s1\",\n    \"Records\": [\n          {\n            \"Data\": \"\",\n            \"PartitionKey\": \"\"\n          },    ]\n}"
    );
    // PutRecords as the developer guide writes it, with the loop (each `#end` line consumes
    // its newline; the indentation before it is kept).
    assert_eq!(
        render(
            "{\n    \"StreamName\": \"$input.params('stream-name')\",\n    \"Records\": [\n       #foreach($elem in $input.path('$.records'))\n          {\n            \"Data\": \"$util.base64Encode($elem.data)\",\n            \"PartitionKey\": \"$elem.partition-key\"\n          }#if($foreach.hasNext),#end\n        #end\n    ]\n}",
            r#"{"records": [{"data": "a", "partition-key": "k1"}, {"data": "b", "partition-key": "k2"}]}"#,
            &name,
            &[]
        ),
        "{\n    \"StreamName\": \"s1\",\n    \"Records\": [\n                 {\n            \"Data\": \"YQ==\",\n            \"PartitionKey\": \"k1\"\n          },                  {\n            \"Data\": \"Yg==\",\n            \"PartitionKey\": \"k2\"\n          }            ]\n}"
    );
}

#[test]
fn calc_and_lambda_binary_sample_templates() {
    let calc = "{\n   \"a\": \"$input.params('operand1')\",\n   \"b\": \"$input.params('operand2')\",\n   \"op\": #if($input.params('operator')=='%2F')\"/\"#{else}\"$input.params('operator')\"#end\n   \n}";
    let p = [("operand1", "1"), ("operand2", "2"), ("operator", "%2F")];
    assert_eq!(
        render(calc, "", &p, &[]),
        "{\n   \"a\": \"1\",\n   \"b\": \"2\",\n   \"op\": \"/\"   \n}"
    );
    let p = [("operand1", "1"), ("operand2", "2"), ("operator", "+")];
    assert_eq!(
        render(calc, "", &p, &[]),
        "{\n   \"a\": \"1\",\n   \"b\": \"2\",\n   \"op\": \"+\"   \n}"
    );
    let get = "{\n    \"a\":  \"$input.params('operand1')\",\n    \"b\":  \"$input.params('operand2')\", \n    \"op\": \"$input.params('operator')\"   \n}";
    assert_eq!(
        render(
            get,
            "",
            &[],
            &[("operand1", "3"), ("operand2", "4"), ("operator", "mul")]
        ),
        "{\n    \"a\":  \"3\",\n    \"b\":  \"4\", \n    \"op\": \"mul\"   \n}"
    );
    let put = "{\n   \"imageKey\": \"$input.params('key')\", \"image\": \"$input.body\"\n}";
    assert_eq!(
        render(put, "iVBORw0KGgo=", &[], &[("key", "cat.png")]),
        "{\n   \"imageKey\": \"cat.png\", \"image\": \"iVBORw0KGgo=\"\n}"
    );
    // The response template of the calc sample.
    let resp = "#set($inputRoot = $input.path('$'))\n{\n  \"input\" : {\n    \"a\" : $inputRoot.a,\n    \"b\" : $inputRoot.b,\n    \"op\" : \"$inputRoot.op\"\n  },\n  \"output\" : {\n    \"c\" : $inputRoot.c\n  }\n}";
    assert_eq!(
        render(resp, r#"{"a": 1, "b": 2.5, "op": "+", "c": 3.5}"#, &[], &[]),
        "{\n  \"input\" : {\n    \"a\" : 1,\n    \"b\" : 2.5,\n    \"op\" : \"+\"\n  },\n  \"output\" : {\n    \"c\" : 3.5\n  }\n}"
    );
}

#[test]
fn developer_guide_examples() {
    // "Transform an array" (request-response-data-mappings / models-mappings-mappings).
    let t = "#set($inputRoot = $input.path('$'))\n[\n#foreach($elem in $inputRoot)\n  {\n    \"description\" : \"Item $elem.id is a $elem.type.\",\n    \"askingPrice\" : $elem.price\n  }#if($foreach.hasNext),#end\n\n#end\n]";
    let body =
        r#"[{"id": 1, "type": "dog", "price": 249.99}, {"id": 2, "type": "cat", "price": 124.99}]"#;
    assert_eq!(
        render(t, body, &[], &[]),
        "[\n  {\n    \"description\" : \"Item 1 is a dog.\",\n    \"askingPrice\" : 249.99\n  },\n  {\n    \"description\" : \"Item 2 is a cat.\",\n    \"askingPrice\" : 124.99\n  }\n]"
    );
    // $util.escapeJavaScript with the documented replaceAll to undo \'.
    let t = "\"$util.escapeJavaScript($input.path('$.s')).replaceAll(\"\\\\'\",\"'\")\"";
    assert_eq!(
        render(t, r#"{"s": "it's \"q\""}"#, &[], &[]),
        "\"it's \\\"q\\\"\""
    );
    // $input.json of a sub-object.
    assert_eq!(
        render(
            "{\"name\": $input.json('$.pet.name'), \"pet\": $input.json('$.pet')}",
            r#"{"pet": {"name": "Rex", "tags": ["a/b"]}}"#,
            &[],
            &[]
        ),
        "{\"name\": \"Rex\", \"pet\": {\"name\":\"Rex\",\"tags\":[\"a/b\"]}}"
    );
}

#[test]
fn parse_errors_carry_positions() {
    let err = |t: &str| -> ParseError { Template::parse(t).unwrap_err() };
    let e = err("#set($a = [1, 2)");
    assert_eq!((e.line, e.col), (1, 16), "{e}");
    let e = err("line one\n#if(true)\n  x\n");
    assert_eq!(e.line, 3, "{e}");
    let e = err("ok\n  ${s");
    assert_eq!((e.line, e.col), (2, 5), "{e}");
    let e = err("#macro(m x)#end");
    assert_eq!(e.line, 1);
    assert!(e.to_string().starts_with("line 1, column "), "{e}");
    for bad in [
        "#end",
        "#else",
        "#if(true)",
        "$s[",
        "$input.json('$'",
        "#set($a = 'x)",
        "x$",
        "#",
        "#set($x = [ ])",
    ] {
        assert!(Template::parse(bad).is_err(), "{bad:?} should not parse");
    }
}

#[test]
fn limits_are_enforced() {
    let small = Limits {
        max_foreach_iterations: 3,
        max_output_bytes: 100,
        max_steps: 10_000,
    };
    assert_eq!(
        render_with("#foreach($i in [1..10])$i#end", "", &[], &[], &[], &small).unwrap(),
        "123"
    );
    let err = render_with(
        "#foreach($i in [1..50])xxxxxxxxxxxxxxxxxxxxxxx#end",
        "",
        &[],
        &[],
        &[],
        &Limits {
            max_foreach_iterations: 1000,
            ..small
        },
    )
    .unwrap_err();
    assert_eq!(err, RenderError::LimitExceeded(Limit::OutputBytes));
    // Nested loops: 1000 * 1000 iterations exceed the default step budget.
    let err = render_with(
        "#foreach($i in [1..1000])#foreach($j in [1..1000])#set($x = $j)#end#end",
        "",
        &[],
        &[],
        &[],
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(err, RenderError::LimitExceeded(Limit::Steps));
    // String doubling is bounded by the output limit.
    let err = render_with(
        "#set($s = 'xxxxxxxxxx')#foreach($i in [1..40])#set($s = \"$s$s\")#end",
        "",
        &[],
        &[],
        &[],
        &Limits::default(),
    )
    .unwrap_err();
    assert_eq!(err, RenderError::LimitExceeded(Limit::OutputBytes));
    // Self-containing lists neither hang nor leak into the output unboundedly.
    let out = render_with(
        "#set($l = [])$l.add($l)#set($s = \"$l\")ok",
        "",
        &[],
        &[],
        &[],
        &Limits::default(),
    )
    .unwrap();
    assert!(out.ends_with("ok"));
}

/// Renders `template` over `body` under `interrupt` with the default limits.
fn render_interrupted(
    template: &str,
    body: &str,
    interrupt: &Interrupt<'_>,
) -> Result<String, RenderError> {
    let context = json!({});
    let stage = BTreeMap::new();
    Template::parse(template)
        .unwrap()
        .render_with(
            &RenderInput {
                body,
                path: &[],
                querystring: &[],
                header: &[],
                context: &context,
                stage_variables: &stage,
            },
            &Limits::default(),
            interrupt,
        )
        .map(|r| r.output)
}

#[test]
fn collections_become_text_within_bounds() {
    let run = |t: &str| render_with(t, r#"{"arr": [1]}"#, &[], &[], &[], &Limits::default());
    // Java's text for a collection that holds itself.
    assert_eq!(
        run("#set($l = [1])#set($d = $l.add($l))#set($d = $l.add($l))$l").unwrap(),
        "[1, (this Collection), (this Collection)]"
    );
    assert_eq!(
        run("#set($m = {})#set($d = $m.put('a', $m))$m").unwrap(),
        "{a=(this Map)}"
    );
    // Longer cycles overflow Java's stack: a render error here.
    for t in [
        "#set($a = [1])#set($b = [$a])#set($d = $a.add($b))$a",
        "#set($a = [1])#set($b = [$a])#set($d = $a.add($b))#set($s = \"$a\")",
        "#set($m = {})#set($l = [$m])#set($d = $m.put('l', $l))$m.toString()",
        "#set($a = $input.path('$.arr'))#set($d = $a.add($a))$a",
    ] {
        assert_eq!(run(t).unwrap_err(), RenderError::CyclicValue, "{t}");
    }
    // Nesting beyond 512 levels fails rather than recursing on.
    let deep = "#set($l = [])#foreach($i in [1..600])#set($l = [$l])#end$l";
    assert_eq!(
        run(deep).unwrap_err(),
        RenderError::LimitExceeded(Limit::Nesting)
    );
    // A structure that shares itself 2^40 times is cut off by the step budget while it is
    // printed, whether written or only built.
    for tail in ["$l", "#set($s = \"$l\")", "#set($s = $l.toString())"] {
        let t = format!("#set($l = [1])#foreach($i in [1..40])#set($l = [$l, $l])#end{tail}");
        assert!(
            matches!(run(&t), Err(RenderError::LimitExceeded(_))),
            "{tail}"
        );
    }
    // ... and by the output limit as the text grows.
    let small = Limits {
        max_output_bytes: 100,
        ..Limits::default()
    };
    let err = render_with(
        "#set($l = [])#foreach($i in [1..50])#set($d = $l.add('xxxxxxxxxx'))#end#set($s = \"$l\")",
        "",
        &[],
        &[],
        &[],
        &small,
    )
    .unwrap_err();
    assert_eq!(err, RenderError::LimitExceeded(Limit::OutputBytes));
}

#[test]
fn interrupts_stop_a_render() {
    let busy = "#foreach($i in [1..1000])#foreach($j in [1..900])#set($x = $j)#end#end";
    // A deadline already passed stops the render before it starts.
    let past = Interrupt {
        deadline: Some(Instant::now()),
        flags: &[],
    };
    assert_eq!(
        render_interrupted("x", "", &past).unwrap_err(),
        RenderError::Interrupted(Interruption::Deadline)
    );
    // A deadline in the middle of the evaluation stops it (step checks).
    let soon = Interrupt {
        deadline: Some(Instant::now() + Duration::from_millis(5)),
        flags: &[],
    };
    assert_eq!(
        render_interrupted(busy, "", &soon).unwrap_err(),
        RenderError::Interrupted(Interruption::Deadline)
    );
    // Few steps, much string work: 1,000 encodings of a 1 MiB body are stopped too.
    let body = "x".repeat(1 << 20);
    let started = Instant::now();
    let soon = Interrupt {
        deadline: Some(Instant::now() + Duration::from_millis(20)),
        flags: &[],
    };
    assert_eq!(
        render_interrupted(
            "#foreach($i in [1..1000])#set($x = $util.base64Encode($input.body))#end",
            &body,
            &soon
        )
        .unwrap_err(),
        RenderError::Interrupted(Interruption::Deadline)
    );
    // Generous: the whole loop takes tens of seconds in a debug build.
    assert!(started.elapsed() < Duration::from_secs(5));
    // Copies of the body (a property, an interpolated string) count as work too.
    for copy in ["$input.body", "\"$input.body\""] {
        let started = Instant::now();
        let soon = Interrupt {
            deadline: Some(Instant::now() + Duration::from_millis(20)),
            flags: &[],
        };
        let t =
            format!("#foreach($i in [1..1000])#foreach($j in [1..1000])#set($x = {copy})#end#end");
        assert_eq!(
            render_interrupted(&t, &body, &soon).unwrap_err(),
            RenderError::Interrupted(Interruption::Deadline),
            "{copy}"
        );
        assert!(started.elapsed() < Duration::from_secs(5), "{copy}");
    }
    // A flag set by another thread stops it.
    let flag = AtomicBool::new(false);
    let flags = [&flag];
    let cancelled = Interrupt {
        deadline: None,
        flags: &flags,
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            std::thread::sleep(Duration::from_millis(20));
            flag.store(true, Ordering::Relaxed);
        });
        assert_eq!(
            render_interrupted(busy, "", &cancelled).unwrap_err(),
            RenderError::Interrupted(Interruption::Cancelled)
        );
    });
    // Without an interrupt, a render that fits finishes.
    assert_eq!(
        render_interrupted("#foreach($i in [1..3])$i#end", "", &Interrupt::default()).unwrap(),
        "123"
    );
}

/// A tiny deterministic generator (xorshift) for the garbage test.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[(self.next() % items.len() as u64) as usize]
    }
}

#[test]
fn garbage_never_panics_and_stays_bounded() {
    let pieces = [
        "$",
        "$!",
        "${",
        "}",
        "#",
        "#if(",
        "#elseif(",
        "#else",
        "#end",
        "#foreach($i in ",
        "#set(",
        "$a",
        "$a.b",
        "(",
        ")",
        "[",
        "]",
        "{",
        "}",
        "'",
        "\"",
        "\\",
        "\\\\",
        "##",
        "#*",
        "*#",
        "#[[",
        "]]#",
        "..",
        "1",
        "-1",
        "2.5",
        "=",
        "==",
        "!",
        "&&",
        "||",
        ",",
        ":",
        " ",
        "\n",
        "\r\n",
        "\t",
        "x",
        "é",
        "😀",
        "#macro(m $a)",
        "#m(",
        "#@m()",
        "#define($d)",
        "$d",
        "#break",
        "#stop",
        "$input.path('$')",
        "$input.json('$..*')",
        "$util.parseJson('[[[')",
        "$m.put('k', $m)",
        "$l.add($l)",
        "#set($l = [$l])",
        "[1..3]",
        "$foreach.parent",
        "$velocityCount",
        "true",
        "not ",
        " and ",
        "$s.replaceAll('(', 'x')",
        "$s.split('')",
        "$context.requestOverride.header.h",
    ];
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let limits = Limits {
        max_foreach_iterations: 50,
        max_output_bytes: 1 << 16,
        max_steps: 20_000,
    };
    // The bounds the name promises: no render writes more than `max_output_bytes`, none runs
    // for long (20,000 steps take milliseconds; 10 s is a generous bound on a loaded machine),
    // and the step and output limits are what stops the runaway ones.
    let bounded = |template: &str, body: &str| {
        let started = Instant::now();
        let result = render_with(template, body, &[("p", "1")], &[], &[], &limits);
        let took = started.elapsed();
        assert!(took < Duration::from_secs(10), "{template:?} took {took:?}");
        if let Ok(out) = &result {
            assert!(
                out.len() <= limits.max_output_bytes,
                "{template:?} wrote {} bytes",
                out.len()
            );
        }
        result
    };
    for _ in 0..3000 {
        let n = (rng.next() % 30) as usize;
        let mut t = String::new();
        for _ in 0..n {
            t.push_str(rng.pick(&pieces));
        }
        let _ = bounded(&t, r#"{"a": [1, {"b": 2}]}"#);
    }
    // Deep nesting is refused or handled, never a stack overflow.
    for deep in [
        "#if(true)".repeat(5000),
        "(".repeat(5000),
        "[".repeat(5000),
        "$a.b(".repeat(3000),
        "\"$a.b(\"".repeat(2000),
        format!("$input.json('{}')", "$".repeat(10)),
    ] {
        let _ = bounded(&deep, "[".repeat(5000).as_str());
    }
    let _ = bounded("$input.path('$')", &"[".repeat(100_000));
    let _ = bounded(
        "$input.path('$..*')",
        &"[".repeat(400)
            .to_string()
            .chars()
            .chain("]".repeat(400).chars())
            .collect::<String>(),
    );
    // Runaway templates meet the limits rather than running on.
    for (runaway, limit) in [
        (
            "#foreach($i in [1..40])#foreach($j in [1..40])#foreach($k in [1..40])$i#end#end#end",
            Limit::Steps,
        ),
        (
            "#set($s = 'xxxxxxxxxxxxxxxx')#foreach($i in [1..20])#set($s = \"$s$s\")#end$s",
            Limit::OutputBytes,
        ),
    ] {
        assert_eq!(
            bounded(runaway, "{}"),
            Err(RenderError::LimitExceeded(limit)),
            "{runaway}"
        );
    }
    assert!(
        matches!(
            bounded("#macro(m)#m()#end#m()", "{}"),
            Err(RenderError::MacroDepth { .. })
        ),
        "unbounded macro recursion"
    );
}
