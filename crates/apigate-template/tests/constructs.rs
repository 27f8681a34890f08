//! One test per VTL construct, with outputs as Apache Velocity 1.7 + API Gateway render them
//! (checked against the Velocity oracle corpus in tests/vtl/ where it covers the construct).

#![allow(clippy::panic)]

use std::collections::BTreeMap;

use apigate_template::{Limits, Render, RenderError, RenderInput, Rendered, Template};
use serde_json::json;

struct Req {
    body: &'static str,
    path: Vec<(String, String)>,
    qs: Vec<(String, String)>,
    header: Vec<(String, String)>,
    context: serde_json::Value,
    stage: BTreeMap<String, String>,
}

fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
    p.iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

impl Req {
    fn new(body: &'static str) -> Req {
        Req {
            body,
            path: pairs(&[("petId", "7")]),
            qs: pairs(&[("type", "dog"), ("page", "2")]),
            header: pairs(&[("Accept", "application/json"), ("X-Quote", "it's")]),
            context: json!({
                "requestId": "req-1",
                "httpMethod": "POST",
                "resourcePath": "/pets/{petId}",
                "stage": "prod",
                "identity": {"sourceIp": "203.0.113.1", "caller": null},
                "authorizer": {"principalId": "user", "claims": {"sub": "abc"}}
            }),
            stage: [("env".to_string(), "test".to_string())]
                .into_iter()
                .collect(),
        }
    }

    fn render(&self, template: &str) -> Result<Rendered, RenderError> {
        let t = Template::parse(template).unwrap_or_else(|e| panic!("parse {template:?}: {e}"));
        t.render(
            &RenderInput {
                body: self.body,
                path: &self.path,
                querystring: &self.qs,
                header: &self.header,
                context: &self.context,
                stage_variables: &self.stage,
            },
            &Limits::default(),
        )
    }
}

const BODY: &str =
    r#"{"a": 1, "b": "two", "c": true, "d": null, "e": 2.5, "f": [1, 2, 3], "g": {"h": "i/j"}}"#;

fn r(template: &str) -> String {
    Req::new(BODY)
        .render(template)
        .unwrap_or_else(|e| panic!("{template:?}: {e}"))
        .output
}

#[test]
fn references() {
    assert_eq!(r("#set($x = 'v')$x ${x} $!x $!{x}"), "v v v v");
    assert_eq!(r("[$nope][$!nope][${nope}]"), "[][][]");
    assert_eq!(r("#set($m = {'k': 'v'})$m.k $m.nope|$m['k']"), "v |v");
    assert_eq!(r("#set($x = 'v')$x.nosuch()|$x.length()"), "|1");
    assert_eq!(r("#set($a-b = 1)$a-b"), "1");
    assert_eq!(r("$ 5 $1 $.x"), "$ 5 $1 $.x");
    assert_eq!(r("#set($l = ['a', 'b'])$l[0]$l[-1]"), "ab");
}

#[test]
fn escapes() {
    assert_eq!(
        r("#set($s = 'x')\\$s|\\\\$s|\\$nope|\\\\$nope"),
        // API Gateway's Velocity resolves $nope to "", so `\$nope` escapes a defined reference.
        "$s|\\x|$nope|\\"
    );
    assert_eq!(r("\\#if(true)x\\#end"), "#if(true)x#end");
    assert_eq!(r("\\#foo \\ plain"), "\\#foo \\ plain");
    assert_eq!(r("#[[ $raw #if ]]#"), " $raw #if ");
}

#[test]
fn string_literals() {
    assert_eq!(r("#set($n = 'W')#set($s = \"Hi $n\")$s"), "Hi W");
    assert_eq!(r("#set($n = 'W')#set($s = 'Hi $n')$s"), "Hi $n");
    assert_eq!(r("#set($s = \"a\"\"b\")$s|#set($t = 'c''d')$t"), "a\"b|c'd");
    assert_eq!(r("#set($s = \"#if(true)yes#end\")$s"), "yes");
}

#[test]
fn literals_and_rendering() {
    assert_eq!(r("#set($l = [1, 'two', [3]])$l"), "[1, two, [3]]");
    assert_eq!(
        r("#set($m = {'a': 1, 'b': {'c': 'd'}})$m"),
        "{a=1, b={c=d}}"
    );
    assert_eq!(
        r("#set($l = [1..4])$l|#set($d = [3..1])$d"),
        "[1, 2, 3, 4]|[3, 2, 1]"
    );
    assert_eq!(
        r("#set($x = 1.0)$x|#set($y = 1e10)$y|#set($z = .5)$z"),
        "1.0|1.0E10|0.5"
    );
    assert_eq!(r("#set($b = true)$b"), "true");
}

#[test]
fn arithmetic() {
    // The spaces before a `#set` that follows a reference belong to the #set token.
    assert_eq!(
        r("#set($x = 7 / 2)$x #set($y = 7.0 / 2)$y|#set($z = -7 % 3)$z"),
        "33.5|-1"
    );
    assert_eq!(r("#set($x = 2147483647 + 1)$x"), "2147483648");
    assert_eq!(r("#set($x = 1 / 0)[$x]#set($y = 1 % 0)[$y]"), "[][]");
    assert_eq!(r("#set($x = 7 + '4')$x|#set($y = 'a' + $nope)$y"), "74|a");
    assert_eq!(r("#set($x = 'a' - 1)[$x]"), "[]");
    assert_eq!(r("#set($x = 0.1 + 0.2)$x"), "0.30000000000000004");
}

#[test]
fn comparisons_and_logic() {
    assert_eq!(
        r("#if(1 == 1.0)a#end#if('1' == 1)b#end#if($nope == $nope2)c#end"),
        "abc"
    );
    assert_eq!(r("#if('a' < 'b')x#else y#end"), " y");
    assert_eq!(
        r("#if(2 gt 1 and not false)x#end#if(1 eq 2 or 3 ne 4)y#end"),
        "xy"
    );
    assert_eq!(
        // An unresolvable reference is "" (API Gateway), and "" is true in Velocity 1.7.
        r("#if(!$nope && true)x#end#if($nope || false)y#{else}z#end"),
        "y"
    );
    assert_eq!(
        r("#set($e = '')#if($e)ref-true#end#if('')lit#end#if(1)one#end"),
        "ref-true"
    );
}

#[test]
fn set_semantics() {
    // $nope is "" (API Gateway), not null, so the #set happens.
    assert_eq!(r("#set($a = 1)#set($a = $nope)$a"), "");
    assert_eq!(r("#set($a = 1)#set($a = 1 / 0)$a"), "1");
    assert_eq!(
        r("#set($m = {})#set($m.k = 'v')#set($m['j'] = 2)$m"),
        "{k=v, j=2}"
    );
    assert_eq!(r("#set($l = [1, 2])#set($l[1] = 'x')$l"), "[1, x]");
    assert!(Req::new(BODY)
        .render("#set($l = [1])#set($l[5] = 'x')")
        .is_err());
}

#[test]
fn if_elseif_else() {
    let t = "#foreach($n in [1, 2, 3])#if($n == 1)one#elseif($n == 2)two#{else}many#end,#end";
    assert_eq!(r(t), "one,two,many,");
}

#[test]
fn foreach_metadata() {
    assert_eq!(
        r("#foreach($i in ['a', 'b'])$i:$foreach.index:$foreach.count:$velocityCount:$foreach.hasNext:$foreach.first:$foreach.last #end"),
        "a:0:1:1:true:true:false b:1:2:2:false:false:true "
    );
    assert_eq!(r("#foreach($v in {'k': 1, 'j': 2})$v#end"), "12");
    assert_eq!(
        r("#foreach($c in 'abc')x#end|#foreach($x in $nope)y#end"),
        "|"
    );
    assert_eq!(r("#set($i = 'keep')#foreach($i in [1])#end$i"), "keep");
    assert_eq!(
        r("#foreach($o in [1, 2])#foreach($i in [1])$foreach.parent.count#end#end"),
        "12"
    );
}

#[test]
fn foreach_limit_stops_at_1000() {
    assert_eq!(
        r("#set($c = 0)#foreach($i in [1..1500])#set($c = $c + 1)#end$c"),
        "1000"
    );
}

#[test]
fn break_and_stop() {
    assert_eq!(
        r("#foreach($i in [1..5])#if($i == 3)#break#end$i#end"),
        "12"
    );
    assert_eq!(
        r("#foreach($o in [1, 2])#foreach($i in [1, 2])#break($foreach.parent)#end$o#end|"),
        "|"
    );
    assert_eq!(r("a#stop b"), "a");
    assert_eq!(
        r("#foreach($i in [1..5])#if($i == 2)#stop($foreach)#end$i#end|"),
        "1|"
    );
    assert!(Req::new(BODY)
        .render("#foreach($i in [1])#break($nope)#end")
        .is_err());
    assert_eq!(r("#define($d)a#stop b#end[$d]c"), "[a");
}

#[test]
fn define_blocks_are_lazy() {
    assert_eq!(
        r("#define($g)Hi $name#end#set($name = 'Ann')$g,#set($name = 'Bob')$g"),
        "Hi Ann,Hi Bob"
    );
    assert_eq!(r("#define($d)$d#end[$d]"), "[$d]");
}

#[test]
fn macros() {
    assert_eq!(
        r("#macro(hello $who)Hello, $who!#end#hello('World') #hello()"),
        "Hello, World! Hello, !"
    );
    assert_eq!(r("#greet('x')#macro(greet $a)<$a>#end"), "<x>");
    assert_eq!(
        r("#macro(m $x)#set($x = 'changed')$x#end#set($v = 'orig')#m($v)|$v"),
        "changed|orig"
    );
    assert_eq!(
        r("#macro(rec $n)$n#if($n > 0)#set($k = $n - 1)#rec($k)#end#end#rec(3)"),
        "3210"
    );
    assert_eq!(
        r("#macro(m $x)$x$x#end#set($c = 0)#m(\"#set($c = $c + 1)$c\")"),
        "12"
    );
    assert_eq!(
        r("#macro(wrap)<$bodyContent>#end#@wrap()inner#end"),
        "<inner>"
    );
    assert_eq!(
        r("#nomacro('x') #@nomacro()x#end"),
        "#nomacro('x') #@nomacro()x#end"
    );
    let err = Req::new(BODY)
        .render("#macro(inf)#inf()#end#inf()")
        .unwrap_err();
    assert!(matches!(err, RenderError::MacroDepth { .. }), "{err:?}");
}

#[test]
fn comments() {
    assert_eq!(r("a## line\nb#* block *#c"), "abc");
    assert_eq!(r("a#* unterminated"), "a");
}

#[test]
fn whitespace_gobbling_follows_velocity_1_7() {
    assert_eq!(r("A\n#set($x = 1)\nB\n"), "A\nB\n");
    assert_eq!(r("A\n  #if(true)\n  B\n  #end\nC\n"), "A\n    B\n  C\n");
    assert_eq!(r("  #set($x = 1)x"), "x");
    assert_eq!(r("$nope  #set($x = 1)x"), "x");
    assert_eq!(r("A #foreach($i in [1, 2]) B #end C"), "A  B  B  C");
    assert_eq!(r("A\r\n#if(true)\r\nB\r\n#end\r\nC"), "A\r\nB\r\nC");
    assert_eq!(
        r("#foreach($i in [1])\n  #set($y = 2)\n  x$y\n#end"),
        "  x2\n"
    );
}

#[test]
fn brace_directives() {
    assert_eq!(r("#{if}(true)a#{else}b#{end}"), "a");
    assert_eq!(r("#{set}($x = 1)$x"), "1");
}

#[test]
fn string_methods() {
    assert_eq!(
        r("#set($s = ' Hello, World ')$s.trim().toUpperCase()|$s.length()|$s.indexOf('o')"),
        "HELLO, WORLD|14|5"
    );
    assert_eq!(r("#set($s = 'a.b.c')$s.replaceAll('\\.', '/')|$s.replace('.', '-')|$s.replaceFirst('(\\w)\\.', '$1!')"), "a/b/c|a-b-c|a!b.c");
    assert_eq!(
        r("#set($s = 'a,b,,')$s.split(',').size()|$s.split(',', -1).size()|$s.split('.').size()"),
        "2|4|0"
    );
    assert_eq!(r("#set($s = 'Hello')$s.substring(1, 3)|$s.charAt(0)|$s.startsWith('He')|$s.endsWith('lo')|$s.contains('ell')"), "el|H|true|true|true");
    assert_eq!(r("#set($s = 'Hello')$s.matches('H.*')|$s.equalsIgnoreCase('HELLO')|$s.isEmpty()|$s.empty|$s.lastIndexOf('l')"), "true|true|false|false|3");
    assert_eq!(r("#set($u = '😀x')$u.length() $u.indexOf('x')"), "3 2");
    assert!(Req::new(BODY)
        .render("#set($s = 'abc')$s.substring(5)")
        .is_err());
    assert!(Req::new(BODY)
        .render("#set($s = 'abc')$s.replaceAll('b', '$')")
        .is_err());
}

#[test]
fn map_and_list_methods() {
    assert_eq!(
        r("#set($m = {'a': 1})$m.put('b', 2)|$m.put('a', 3)|$m.keySet()|$m.values()|$m.entrySet()|$m.size()|$m.containsKey('b')|$m.remove('b')|$m"),
        "|1|[a, b]|[3, 2]|[a=3, b=2]|2|true|2|{a=3}"
    );
    assert_eq!(r("#set($m = {'size': 'big'})$m.size|$m.size()"), "big|1");
    assert_eq!(
        r("#set($l = ['x'])$l.add('y')|$l.size()|$l.get(1)|$l.contains('x')|$l.indexOf('y')|$l.isEmpty()|$l"),
        "true|2|y|true|1|false|[x, y]"
    );
    assert!(Req::new(BODY).render("#set($l = [])$l.get(0)").is_err());
}

#[test]
fn input_body_json_path() {
    assert_eq!(r("$input.body"), BODY);
    assert_eq!(
        r("$input.json('$.g')|$input.json('$.f')|$input.json('$.nope')"),
        r#"{"h":"i/j"}|[1,2,3]|null"#
    );
    assert_eq!(
        r("$input.path('$')"),
        "{a=1, b=two, c=true, d=null, e=2.5, f=[1,2,3], g={h=i/j}}"
    );
    assert_eq!(
        r("$input.path('$.f').size()|$input.path('$.g.h')|[$input.path('$.d')]"),
        "3|i/j|[]"
    );
    assert_eq!(
        r("$input.path('$.f[*]')|$input.path('$..h')|$input.path('$.f[?(@ > 1)]')"),
        "[1,2,3]|[\"i\\/j\"]|[2,3]"
    );
    assert_eq!(
        Req::new("")
            .render("$input.body|$input.json('$')")
            .unwrap()
            .output,
        "{}|{}"
    );
    let err = Req::new("{\"a\":").render("$input.json('$')").unwrap_err();
    assert!(matches!(err, RenderError::InvalidJson { .. }), "{err:?}");
    assert_eq!(
        Req::new("{\"a\":").render("$input.body").unwrap().output,
        "{\"a\":"
    );
}

#[test]
fn big_decimals_keep_their_text() {
    let req = Req::new(r#"{"amount": 12345678901234567.89, "n": 2}"#);
    let out = req
        .render("$input.json('$.amount')|$input.path('$.amount')|#if($input.path('$.amount') > $input.path('$.n'))gt#end")
        .unwrap();
    assert_eq!(out.output, "12345678901234567.89|12345678901234567.89|gt");
}

#[test]
fn input_params() {
    assert_eq!(r("$input.params('petId')|$input.params('type')|$input.params('Accept')|[$input.params('accept')]"), "7|dog|application/json|[]");
    assert_eq!(
        r("$input.params()"),
        "{path={petId=7}, querystring={type=dog, page=2}, header={Accept=application/json, X-Quote=it's}}"
    );
    assert_eq!(
        r("$input.params().header.get('X-Quote')|$input.params().querystring.page"),
        "it's|2"
    );
}

#[test]
fn util_functions() {
    assert_eq!(
        r("$util.escapeJavaScript($input.params('X-Quote'))"),
        "it\\'s"
    );
    assert_eq!(
        r("$util.urlEncode('a b&c')|$util.urlDecode('a+b%26c')"),
        "a+b%26c|a b&c"
    );
    assert_eq!(
        r("$util.base64Encode('hello')|$util.base64Decode('aGVsbG8=')"),
        "aGVsbG8=|hello"
    );
    assert_eq!(
        r("#set($o = $util.parseJson('{\"k\": [1, 2]}'))$o.k.get(1)|$o"),
        "2|{k=[1,2]}"
    );
    assert_eq!(
        r("[$util.escapeJavaScript($nope)][$util.nosuch('x')]"),
        "[][]"
    );
}

#[test]
fn context_and_stage_variables() {
    assert_eq!(
        r("$context.requestId|$context.identity.sourceIp|$context.authorizer.claims.sub|[$context.identity.caller]|$context.nope"),
        "req-1|203.0.113.1|abc|[]|"
    );
    assert_eq!(
        r("$stageVariables.env|$stageVariables['env']|${stageVariables.env}"),
        "test|test|test"
    );
}

#[test]
fn overrides() {
    let out = Req::new(BODY)
        .render(
            "#set($context.requestOverride.header.X-A = 'a')\
             #set($context.requestOverride.header.X-B = ['1', '2'])\
             #set($context.requestOverride.path.petId = '8')\
             #set($context.requestOverride.querystring.q = 'x')\
             #set($context.responseOverride.status = 404)\
             #set($context.responseOverride.header.X-R = 'r')",
        )
        .unwrap();
    assert_eq!(out.output, "");
    let req = &out.request_override;
    assert_eq!(
        req.header,
        vec![
            ("X-A".into(), vec!["a".into()]),
            ("X-B".into(), vec!["1".into(), "2".into()])
        ]
    );
    assert_eq!(req.path, vec![("petId".into(), "8".into())]);
    assert_eq!(req.querystring, vec![("q".into(), vec!["x".into()])]);
    assert_eq!(out.response_override.status, Some(404));
    assert_eq!(
        out.response_override.header,
        vec![("X-R".into(), vec!["r".into()])]
    );

    for (status, want) in [
        ("'201'", Some(201)),
        ("' 202 '", Some(202)),
        ("600", None),
        ("'abc'", None),
        ("200.0", None),
    ] {
        let t = format!("#set($context.responseOverride.status = {status})");
        assert_eq!(
            Req::new(BODY).render(&t).unwrap().response_override.status,
            want,
            "{status}"
        );
    }
    let err = Req::new(BODY)
        .render("#set($context.requestOverride.header.h = 'a')#set($context.requestOverride.header.h = 'b')")
        .unwrap_err();
    assert!(
        matches!(err, RenderError::DuplicateOverride { .. }),
        "{err:?}"
    );
}

#[test]
fn template_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Template>();
    let t = std::sync::Arc::new(Template::parse("$input.params('petId')").unwrap());
    let handles: Vec<_> = (0..4)
        .map(|_| {
            let t = std::sync::Arc::clone(&t);
            std::thread::spawn(move || {
                let req = Req::new(BODY);
                t.render(
                    &RenderInput {
                        body: req.body,
                        path: &req.path,
                        querystring: &req.qs,
                        header: &req.header,
                        context: &req.context,
                        stage_variables: &req.stage,
                    },
                    &Limits::default(),
                )
                .unwrap()
                .output
            })
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), "7");
    }
}

#[test]
fn iterators_and_entries() {
    // Method calls on literals are a parse error in Velocity 1.7.
    assert!(Template::parse("#set($it = ['a', 'b'].iterator())").is_err());
    assert_eq!(
        r("#set($l = ['a', 'b'])#set($it = $l.iterator())$it.next()#foreach($x in $it)$x#end"),
        "ab"
    );
    assert_eq!(
        r("#set($m = {'k': 'v'})#foreach($e in $m.entrySet())$e.key=$e.value,$e.getKey()#end"),
        "k=v,k"
    );
}

#[test]
fn overrides_follow_replaced_maps() {
    let out = Req::new(BODY)
        .render("#set($context.responseOverride.header = {'X-A': 'a'})#set($context.requestOverride.path = {'p': 1})")
        .unwrap();
    assert_eq!(
        out.response_override.header,
        vec![("X-A".into(), vec!["a".into()])]
    );
    assert_eq!(out.request_override.path, vec![("p".into(), "1".into())]);
}
