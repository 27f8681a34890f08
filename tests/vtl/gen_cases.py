#!/usr/bin/env python3
"""Generates tests/vtl/cases.jsonl: the hand-maintained cases of cases-curated.jsonl followed by
generated cases covering every VTL construct and every $input/$util/$context function apigate's
template engine implements. Deterministic (fixed seed, no clock, no environment): running it
twice gives the same file. Python 3 standard library only.

    tests/vtl/gen_cases.py && tests/vtl/oracle/run.sh

Case format (one JSON object per line):
    {"id": "group/name-NNN", "template": "...",
     "input": {"body": "...", "path": {..}, "querystring": {..}, "header": {..}},
     "context": {..}, "stageVariables": {..}}
"""

import json
import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
RNG = random.Random(20240611)

# ---------------------------------------------------------------------------------------------
# Shared inputs
# ---------------------------------------------------------------------------------------------

CONTEXT = {
    "accountId": "123456789012",
    "apiId": "abcd1234",
    "domainName": "abcd1234.execute-api.us-east-1.amazonaws.com",
    "domainPrefix": "abcd1234",
    "extendedRequestId": "Ab1Cd2Ef3GhIJ=",
    "httpMethod": "POST",
    "identity": {
        "accountId": None,
        "apiKey": "test-api-key-0001",
        "apiKeyId": "k3y1d",
        "caller": None,
        "cognitoAuthenticationProvider": None,
        "cognitoAuthenticationType": None,
        "cognitoIdentityId": None,
        "cognitoIdentityPoolId": None,
        "principalOrgId": None,
        "sourceIp": "192.0.2.1",
        "user": None,
        "userAgent": "curl/8.5.0",
        "userArn": None,
    },
    "path": "/prod/pets/7",
    "protocol": "HTTP/1.1",
    "requestId": "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
    "requestTime": "09/Apr/2015:12:34:56 +0000",
    "requestTimeEpoch": 1428582896000,
    "resourceId": "res123",
    "resourcePath": "/pets/{petId}",
    "stage": "prod",
}

AUTH_CONTEXT = dict(CONTEXT)
AUTH_CONTEXT["authorizer"] = {
    "principalId": "user|a1b2c3",
    "claims": {"sub": "1234-abcd", "email": "jane@example.com", "cognito:groups": "admin,dev"},
    "tenant": "acme",
    "scopeCount": "3",
}

STAGE_VARS = {"env": "prod", "backend": "api.example.com", "lambdaAlias": "live", "weird": "a&b=c/d?e#f"}

PARAMS = {
    "path": {"petId": "7", "proxy": "a/b c"},
    "querystring": {"type": "dog", "page": "2", "q": "caf\u00e9 & cr\u00e8me", "empty": ""},
    "header": {
        "Accept": "application/json",
        "Content-Type": "application/json; charset=UTF-8",
        "Host": "abcd1234.execute-api.us-east-1.amazonaws.com",
        "User-Agent": "curl/8.5.0",
        "X-Quote": "it's \"quoted\" \\ / done",
        "petId": "header-petId",
        "type": "header-type",
    },
}

PETS = '[{"id": 1, "type": "dog", "price": 249.99}, {"id": 2, "type": "cat", "price": 124.99}, {"id": 3, "type": "fish", "price": 0.99}]'

BODIES = {
    "pets": PETS,
    "store": json.dumps({
        "store": {
            "name": "Pet Store / Main",
            "open": True,
            "rating": 4.5,
            "tags": ["pets", "food", "toys"],
            "address": {"street": "1 Main St", "city": "Seattle", "zip": "98101"},
            "pets": [
                {"id": 1, "type": "dog", "price": 249.99, "name": "Rex", "vaccinated": True},
                {"id": 2, "type": "cat", "price": 124.99, "name": "Tom", "vaccinated": False},
                {"id": 3, "type": "fish", "price": 0.99, "name": None},
            ],
            "owner": None,
        }
    }),
    "flat": '{"a": 1, "b": "two", "c": true, "d": null, "e": 2.5, "f": [1, 2, 3], "g": {"h": "i"}}',
    "nested": '{"l1": {"l2": {"l3": {"l4": ["deep", {"l5": "deepest"}]}}}, "list": [[1, 2], [3, [4, 5]]]}',
    "numbers": '{"int": 42, "neg": -7, "zero": 0, "big": 9007199254740993, "huge": 123456789012345678901234567890, "dbl": 3.14159, "one": 1.0, "tenth": 0.1, "exp": 1e5, "small": 1.5e-7, "trail": 10.50, "negdbl": -0.0, "long": 2147483648}',
    "strings": json.dumps({
        "plain": "hello",
        "quote": "say \"hi\"",
        "apos": "it's",
        "slash": "a/b\\c",
        "nl": "line1\nline2\ttab",
        "uni": "caf\u00e9 \u00fcber \u65e5\u672c",
        "emoji": "smile \U0001F600!",
        "url": "https://example.com/p?q=1&r=2",
        "html": "<b>bold</b> & 'amp'",
        "ctrl": "bell\u0007nul",
        "space": "  padded  ",
        "empty": "",
    }, ensure_ascii=False),
    "special-keys": '{"a-b": 1, "a b": 2, "$x": 3, "a.b": 4, "": 5, "123": 6, "class": "k", "size": "not-a-size", "empty": "not-empty", "keySet": "k"}',
    "empty-object": "{}",
    "empty-array": "[]",
    "string-root": '"just a string"',
    "number-root": "12.5",
    "bool-root": "true",
    "null-root": "null",
    "array-mixed": '[1, "two", 3.0, true, null, {"six": 6}, [7]]',
    "objects": json.dumps({"items": [{"k": "k%d" % i, "v": i * 1.5, "ok": i % 2 == 0} for i in range(12)]}),
    "pretty": '{\n  "name" : "pretty",\n  "values" : [ 1, 2, 3 ],\n  "inner" : {\n    "x" : "y"\n  }\n}\n',
}

INVALID_BODIES = {
    "truncated-object": '{"a": 1',
    "truncated-array": "[1, 2",
    "brace-only": "{a",
    "bracket-only": "[a",
    "colon-no-value": '{"a":}',
    "bad-escape": '{"a": "\\x"}',
    "two-roots": '{"a": 1} {"b": 2}',
}

PERMISSIVE_BODIES = {
    "form": "a=b&c=d",
    "single-quotes": "{'a': 'x', 'b': [1, 2,]}",
    "unquoted-keys": "{a: 1, b: hello world}",
    "text": "hello world",
    "trailing-garbage": '{"a": 1}xyz',
    "xml": "<root><a>1</a></root>",
    "whitespace": "   ",
    "leading-ws": '  \n {"a": "x"}',
    "null-brace": "null{",
}

# ---------------------------------------------------------------------------------------------
# Case collection
# ---------------------------------------------------------------------------------------------

CASES = []
_COUNTERS = {}


def case(group, name, template, body="", path=None, querystring=None, header=None, context=None,
         stage_variables=None):
    """Adds a case. Parameters, context and stage variables default to the shared sets above when
    the template can see them, and to empty ones otherwise (which keeps cases.jsonl small)."""
    key = (group, name)
    _COUNTERS[key] = _COUNTERS.get(key, 0) + 1
    uses_params = "params" in template
    uses_context = "context" in template
    uses_stage = "stageVariables" in template

    def pick(given, default, used):
        if given is not None:
            return dict(given)
        return dict(default) if used else {}

    CASES.append({
        "id": "%s/%s-%03d" % (group, name, _COUNTERS[key]),
        "template": template,
        "input": {
            "body": body,
            "path": pick(path, PARAMS["path"], uses_params),
            "querystring": pick(querystring, PARAMS["querystring"], uses_params),
            "header": pick(header, PARAMS["header"], uses_params),
        },
        "context": context if context is not None else (CONTEXT if uses_context else {}),
        # sorted: the engine's API takes stage variables as a BTreeMap
        "stageVariables": dict(sorted(pick(stage_variables, STAGE_VARS, uses_stage).items())),
    })


SETUP = (
    "#set($s = 'Hello, World')#set($n = 42)#set($d = 2.5)#set($t = true)#set($e = '')"
    "#set($l = ['a', 'b', 'c'])#set($m = {'k': 'v', 'n': 1, 'inner': {'x': [10, 20]}})"
)

# ---------------------------------------------------------------------------------------------
# References
# ---------------------------------------------------------------------------------------------


def gen_references():
    exprs = [
        "$s", "${s}", "$!s", "$!{s}", "$n", "$d", "$t", "$e", "[$e]", "$l", "$m",
        "$undefined", "${undefined}", "$!undefined", "$!{undefined}", "x${undefined}y",
        "$s.length()", "${s.length()}", "$s.toUpperCase()", "$s.toUpperCase().toLowerCase().length()",
        "$s.empty", "$e.empty", "$l.empty", "$m.empty", "$m.size", "$m.size()", "$l.size",
        "$m.k", "$m.inner", "$m.inner.x", "$m.inner.x[1]", "$m['k']", "$m[\"n\"]", "$m.inner['x'][0]",
        "$m.missing", "$m.missing.deeper", "$m.get('k')", "$m.get('missing')", "$m.k.length()",
        "$l[0]", "$l[2]", "$l.get(1)", "$l[0].toUpperCase()", "${l[1]}",
        "$s.nosuchmethod()", "$s.nosuchproperty", "$n.toString()", "$d.intValue()",
        "$s-x", "$s_x", "${s}-x", "$s.", "$s..", "$s.(", "$s(", "$ s", "$$s", "$s$n", "$s$!n",
        "user@example.com", "$100", "cost: $", "$1abc", "$_under", "$-dash", "$!", "$!!s", "${", "${}",
        "$l[$n]", "$m[$s]", "#set($i = 1)$l[$i]", "#set($k = 'n')$m[$k]",
        "$context.stage", "$stageVariables", "$context.identity",
    ]
    for i, e in enumerate(exprs):
        case("ref", "expr", SETUP + "<" + e + ">")
    # hyphenated identifiers and properties (Velocity 1.x allows '-' inside identifiers)
    for t in [
        "#set($a = 'A')#set($a-b = 'AB')$a-b $a -b ${a}-b",
        "#set($m = {'partition-key': 'pk', 'x': 1})$m.partition-key|$m.partition-|$m.x-",
        "$input.path('$')['a-b'] $input.path('$').a-b",
        "#set($x-1 = 'one')$x-1",
        "#set($under_score = 'u')$under_score $under_score_",
    ]:
        case("ref", "hyphen", t, body=BODIES["special-keys"])
    # null values
    for t in [
        "#set($x = $input.path('$.d'))[$x] [$!x] [${x}]",
        "[$input.path('$.nope')] [$!input.path('$.nope')]",
        "#set($v = $input.path('$.g'))$v.h $v.nope $v.h.nope.deeper",
        "$input.path('$').d.length() [$input.path('$').f.get(7)]",
    ]:
        case("ref", "null", t, body=BODIES["flat"])


# ---------------------------------------------------------------------------------------------
# String interpolation and literals
# ---------------------------------------------------------------------------------------------


def gen_interpolation():
    ts = [
        "#set($a = 'A')#set($b = \"x $a y\")$b",
        "#set($a = 'A')#set($b = 'x $a y')$b",
        "#set($a = 'A')#set($b = \"${a}B\")$b",
        "#set($a = 'A')#set($b = \"$!{nope}|$nope|$a\")$b",
        "#set($b = \"#if(true)yes#{else}no#end\")$b",
        "#set($b = \"#set($z = 5)z=$z\")$b/$z",
        "#set($l = [1, 2])#set($b = \"list=$l size=$l.size()\")$b",
        "#set($m = {'a': 1})#set($b = \"map=$m a=$m.a\")$b",
        "#set($b = \"tab\tnewline\nend\")$b",
        "#set($b = 'single \"double\" inside')$b",
        "#set($b = \"double 'single' inside\")$b",
        "#set($b = \"\")[$b]",
        "#set($b = '')[$b]",
        "#set($a = 'x')#set($b = \"$a$a$a\")$b",
        "#set($a = 'x')#set($b = \"\\$a\")$b",
        "#set($a = 'x')#set($b = \"$a.length()\")$b",
        "#set($b = \"## not a comment\")$b",
        "#set($b = \"#* not a comment *#\")$b",
        "#set($b = \"$input.params('type')-$input.json('$.a')\")$b",
        "#set($b = \"#foreach($i in [1..3])$i#end\")$b",
        "#set($b = \"${context.stage}/${stageVariables.env}\")$b",
        "#set($a = 5)#set($b = \"$a + 1\")$b",
        "#set($b = \"$util.urlEncode('a b')\")$b",
        "#set($b = \"\"\"\")[$b]",
        "#set($b = 'it''s')[$b]",
        "#set($b = \"a\\\"b\")[$b]",
        "#set($x = \"outer #set($y = 'inner')$y\")$x|$y",
        "#set($a = \"1\")#set($b = \"$a\" + \"2\")$b",
        "#set($b = \"x$\")$b",
        "#set($b = \"$ dollar\")$b",
    ]
    for t in ts:
        case("interp", "string", t, body=BODIES["flat"])


def gen_literals():
    ts = [
        "$[1, 2, 3]" , "#set($x = [1, 2, 3])$x", "#set($x = [])$x $x.size()", "#set($x = [ ])$x",
        "#set($x = ['a', \"b\", 3, 4.5, true, $null])$x", "#set($x = [[1, 2], [3]])$x $x[1][0]",
        "#set($x = [{'a': 1}, {'b': [2]}])$x", "#set($x = {})$x $x.size()", "#set($x = { })$x",
        "#set($x = {'a': 1, 'b': 'two', 'c': [3], 'd': {'e': 5}})$x",
        "#set($x = {\"dq\": \"v\", 'sq': 'w'})$x", "#set($x = {1: 'one', 2: 'two'})$x $x.get(1)",
        "#set($x = {'z': 1, 'a': 2, 'm': 3, 'b': 4, 'y': 5})$x $x.keySet()",
        "#set($k = 'dyn')#set($x = {$k: 'v', \"${k}2\": 'w'})$x",
        "#set($x = [1..5])$x", "#set($x = [5..1])$x", "#set($x = [0..0])$x", "#set($x = [-2..2])$x",
        "#set($a = 2)#set($b = 4)#set($x = [$a..$b])$x", "#set($a = '2')#set($b = '4')#set($x = [$a..$b])$x",
        "#set($x = [1..3])$x.size() $x[0] $x.get(2)", "#foreach($i in [3..1])$i#end",
        "#set($x = [1 .. 3])$x", "#set($x = ['a'..'c'])$x", "#set($x = [1..$nope])$x",
        "#set($x = [1, 2,])$x", "#set($x = {'a': 1,})$x", "#set($x = [1 2])$x",
        "#set($x = 123)$x", "#set($x = -5)$x", "#set($x = 1.50)$x", "#set($x = -0.0)$x",
        "#set($x = 1e3)$x", "#set($x = 2147483647)$x", "#set($x = 2147483648)$x",
        "#set($x = 9223372036854775807)$x", "#set($x = 007)$x", "#set($x = .5)$x",
        "#set($x = true)$x", "#set($x = false)$x", "#set($x = TRUE)[$x]", "#set($x = null)[$x]",
        "#set($x = 'a')#set($x = $null)[$x]", "#set($x = {'a': [1, {'b': [2, {'c': 3}]}]})$x.a[1].b[1].c",
    ]
    for t in ts:
        case("literal", "value", t)


# ---------------------------------------------------------------------------------------------
# Arithmetic, comparison, logic
# ---------------------------------------------------------------------------------------------


def gen_operators():
    operands = ["7", "2", "-3", "0", "2.5", "'4'", "$n", "$d", "$s", "$nope", "2147483647", "10000000000"]
    ops = ["+", "-", "*", "/", "%"]
    pairs = []
    for a in operands:
        for b in operands:
            pairs.append((a, b))
    RNG.shuffle(pairs)
    picked = pairs[:70]
    for a, b in picked:
        op = ops[len(CASES) % len(ops)]
        case("arith", "binary", SETUP + "#set($r = %s %s %s)[$r]" % (a, op, b))
    for t in [
        "#set($r = 1 + 2 * 3)$r", "#set($r = (1 + 2) * 3)$r", "#set($r = 10 - 2 - 3)$r",
        "#set($r = 2 * 3 % 4)$r", "#set($r = 7 / 2 * 2)$r", "#set($r = 7.0 / 2)$r", "#set($r = -7 / 2)$r",
        "#set($r = -7 % 3)$r", "#set($r = 1 / 3.0)$r", "#set($r = 0.1 + 0.2)$r", "#set($r = 1e300 * 1e300)$r",
        "#set($r = 5 / 0)[$r]", "#set($r = 5 % 0)[$r]", "#set($r = 5.0 / 0)[$r]",
        "#set($r = 2147483647 + 1)$r", "#set($r = 2147483647 * 2)$r", "#set($r = -2147483648 - 1)$r",
        "#set($r = 9223372036854775807 + 1)$r", "#set($r = 3 * 1.5)$r", "#set($r = 100 * 1.1)$r",
        "$math", "#set($x = 5)#set($x = $x + 1)#set($x = $x * 2)$x",
        "#set($i = $input.path('$.int'))#set($r = $i + 1)$r", "#set($r = $input.path('$.dbl') * 2)$r",
        "#set($r = $input.path('$.big') + 1)$r", "#set($r = $input.path('$.huge') + 1)$r",
        "#set($r = $input.path('$.long') * 2)$r", "#set($r = $input.path('$.one') + $input.path('$.tenth'))$r",
        "#set($r = $input.params('page') + 1)[$r]", "#set($r = $input.json('$.int') + 1)[$r]",
        "#set($r = -$n)[$r]", "#set($r = 0 - $n)$r", "#set($r = $n+1)$r", "#set($r=$n*$n)$r",
    ]:
        case("arith", "misc", SETUP + t, body=BODIES["numbers"])
    comparisons = ["==", "!=", "<", ">", "<=", ">=", "eq", "ne", "lt", "gt", "le", "ge"]
    cmp_operands = [("1", "1"), ("1", "2"), ("2", "1.5"), ("'a'", "'a'"), ("'a'", "'b'"), ("'1'", "1"),
                    ("$nope", "$nope2"), ("$nope", "'x'"), ("$t", "true"), ("$l", "['a', 'b', 'c']"),
                    ("$m.n", "1"), ("$s", "'Hello, World'"), ("1.0", "1"), ("'abc'", "'abd'")]
    for i, (a, b) in enumerate(cmp_operands):
        for j in range(3):
            op = comparisons[(i * 3 + j) % len(comparisons)]
            case("compare", "binary", SETUP + "#if(%s %s %s)T#{else}F#end" % (a, op, b))
    for t in [
        "#if(true && false)T#{else}F#end", "#if(true || false)T#{else}F#end", "#if(!true)T#{else}F#end",
        "#if(true and false)T#{else}F#end", "#if(true or false)T#{else}F#end", "#if(not false)T#{else}F#end",
        "#if(!$nope)T#{else}F#end", "#if($nope && $nope.foo())T#{else}F#end", "#if($t || $nope.x())T#{else}F#end",
        "#if(1 < 2 && 2 < 3 || false)T#{else}F#end", "#if(!(1 == 1) || !($s == 'x'))T#{else}F#end",
        "#set($b = 1 < 2)$b", "#set($b = !$t)$b", "#set($b = $t && $nope)[$b]", "#set($b = 'a' == 'a')$b",
        "#if($s == $s.toString())T#{else}F#end", "#if($l == $l)T#{else}F#end", "#if($m == {'k': 'v'})T#{else}F#end",
        "#if(1 == '1.0')T#{else}F#end", "#if($n == 42.0)T#{else}F#end", "#if($n > '41')T#{else}F#end",
        "#if($s > 5)T#{else}F#end", "#if($nope < 1)T#{else}F#end", "#if($input.path('$.int') == 42)T#{else}F#end",
        "#if($input.path('$.one') == 1)T#{else}F#end", "#if($input.params('page') == 2)T#{else}F#end",
        "#if($input.params('page') == '2')T#{else}F#end", "#if($input.path('$.int') > 40)T#{else}F#end",
        "#if('1' == 1)T#{else}F#end", "#if($nope == 'x')T#{else}F#end", "#if($nope != 'x')T#{else}F#end",
        "#if(true == 'true')T#{else}F#end", "#if($l == '[a, b, c]')T#{else}F#end",
    ]:
        case("logic", "expr", SETUP + t, body=BODIES["numbers"])


# ---------------------------------------------------------------------------------------------
# Directives
# ---------------------------------------------------------------------------------------------


def gen_set():
    for t in [
        "#set($a = 1)$a", "#set( $a = 1 )$a", "#set($a=1)$a", "#{set}($a = 1)$a", "#set ($a = 1)$a",
        "#set($a = 1)#set($a = 'two')$a", "#set($a = 'x')#set($a = $nope)[$a]", "#set($a = $nope)[$a]",
        "#set($a = 'x')#set($a = $input.path('$.nope'))[$a]", "#set($a = 'x')#set($a = $input.path('$.d'))[$a]",
        "#set($a = 'x')#set($a = \"$!nope\")[$a]", "#set($a = 'x')#set($a = '')[$a]",
        "#set($m = {})#set($m.k = 'v')$m", "#set($m = {'k': 1})#set($m.k = $m.k + 1)$m",
        "#set($m = {})#set($m.a.b = 1)$m", "#set($l = [1, 2])#set($l[1] = 'x')$l",
        "#set($l = [1, 2])#set($l[5] = 'x')$l", "#set($m = {'a': 1})#set($m['b'] = 2)$m",
        "#set($a = $b = 1)$a", "#set($a)", "#set(a = 1)", "#set($a = )$a", "#set($a = 1", "#set($1a = 1)",
        "#set($a.b = 1)[$a]", "#set($s = 'str')#set($s.x = 1)$s", "#set($a = [1..3])#set($b = $a)$b.add(4)$a",
        "#set($a = {'k': [1]})#set($b = $a.k)$b.add(2)$a", "#set($context.newKey = 'v')$context.newKey",
        "#set($stageVariables.env = 'dev')$stageVariables.env", "#set($input = 'replaced')$input",
        "#set($util = 1)$util", "#set($x = \"#set($inner = 1)\")$x$inner",
        "#set($a = 1)\n#set($b = 2)\n$a$b", "  #set($a = 1)  $a", "x#set($a = 1)x$a",
        "#set($velocityCount = 5)$velocityCount", "#set($foreach = 'f')$foreach",
        "#set($a = 'v1')#set($a = \"${a}v2\")$a", "#set($list = $input.path('$.f'))#set($list[0] = 99)$list",
    ]:
        case("set", "directive", t, body=BODIES["flat"])


def gen_if():
    values = ["true", "false", "$nope", "''", "'false'", "0", "1", "[]", "{}", "'x'", "$null", "$t", "$e",
              "$input.path('$.c')", "$input.path('$.d')", "$input.path('$.nope')", "$input.path('$.f')",
              "$input.params('empty')", "$input.params('nope')", "$input.json('$.d')", "$m.missing", "$l"]
    for v in values:
        case("if", "truthiness", SETUP + "#if(%s)T#{else}F#end" % v, body=BODIES["flat"])
    for t in [
        "#if(true)a#end", "#if(false)a#end", "#if(false)a#else b#end", "#if(false)a#elseif(true)b#else c#end",
        "#if(false)a#elseif(false)b#elseif(true)c#end", "#{if}(true)a#{else}b#{end}", "#if(true)a#{end}b",
        "#if( true )a#end", "#if (true)a#end", "#if(true)#if(false)a#{else}b#end#end",
        "#if(true)\na\n#else\nb\n#end\n", "#if(true)\n  a\n#elseif(true)\n  b\n#end\nafter",
        "#if(true)a#else", "#if(true)a", "#if()a#end", "#if(true)a#end#end", "#else", "#end", "#elseif(true)x",
        "#if($s == 'Hello, World')match#end", "#if($s.contains('World') && $n > 40)both#end",
        "#if($input.params('type') == 'dog')dog#elseif($input.params('type') == 'cat')cat#{else}other#end",
        "#if(\"$!nope\" == \"\")empty#end", "#if(\"$!s\" != \"\")set#end",
        "#if($l.size() > 2)big#end", "#if($l.contains('b'))has-b#end", "#if($m.containsKey('k'))has-k#end",
        "#if(!$m.isEmpty())not-empty#end", "#if($input.path('$.f').size() == 3)three#end",
        "#if ($context.httpMethod == 'POST') post #end", "#if($context.authorizer)auth#{else}anon#end",
        "#ifx(true)a#end", "#iff", "#if(true)a#elsex b#end", "#if(true)a#else(x)b#end",
    ]:
        case("if", "branch", SETUP + t, body=BODIES["flat"])


def gen_foreach():
    sources = ["[1, 2, 3]", "[]", "$nope", "$l", "$m", "$m.keySet()", "$m.entrySet()", "[1..4]", "$s",
               "$n", "$input.path('$')", "$input.path('$.f')", "$input.path('$.g')", "$input.path('$.nope')",
               "$input.params()", "$input.params().header.keySet()", "$context.identity.keySet()",
               "$stageVariables.keySet()", "$s.split(', ')", "$s.toCharArray()", "'abc'"]
    for src in sources:
        case("foreach", "source", SETUP + "#foreach($i in %s)[$i]#end" % src, body=BODIES["flat"])
    meta = [
        "$foreach.index", "$foreach.count", "$foreach.hasNext", "$foreach.first", "$foreach.last",
        "$velocityCount", "$velocityHasNext", "$foreach.parent.count", "$!foreach.parent.index",
        "$foreach.topmost.count",
    ]
    for mexpr in meta:
        case("foreach", "meta", "#foreach($i in ['a', 'b', 'c'])$i=%s #end" % mexpr)
        case("foreach", "meta-nested",
             "#foreach($o in [1, 2])#foreach($i in ['x', 'y'])$o$i:%s #end|#end" % mexpr)
    for t in [
        "#foreach($i in [1, 2, 3])$i#if($foreach.hasNext),#end#end",
        "#foreach($i in [1, 2, 3])\n  $i#if($foreach.hasNext),#end\n#end",
        "#foreach($i in [1, 2, 3])\n$i\n#end\nafter",
        "#foreach( $i in [1, 2] )$i#end", "#foreach ($i in [1, 2])$i#end", "#{foreach}($i in [1, 2])$i#{end}",
        "#foreach($i in [1..3])#foreach($j in [1..$i])$j#end;#end",
        "#foreach($i in [1, 2])$i#end$i", "#set($i = 'before')#foreach($i in [1, 2])$i#end$i",
        "#foreach($i in [1, $nope, 3])[$i]#end", "#foreach($i in [1, 2, 3])#set($x = $i)#end$x",
        "#foreach($i in [1, 2, 3])#if($i == 2)#break#end$i#end", "#foreach($i in [1, 2])#foreach($j in [1, 2])#break#end$i$j#end",
        "#foreach($i in [1, 2])#foreach($j in [1, 2])$j#break($foreach.parent)#end$i#end|after",
        "#foreach($i in [1..3])$i#break($foreach)#end", "#foreach($e in $m.entrySet())$e.key=$e.value;#end",
        "#foreach($k in $m.keySet())$k=$m.get($k);#end", "#foreach($pet in $input.path('$'))$pet.type #end",
        "#foreach($pet in $input.path('$'))$foreach.count:$pet.id:$pet.price#if($foreach.hasNext),#end#end",
        "#foreach($i in [1..1200])#set($last = $i)#end$last", "#set($c = 0)#foreach($i in [1..1001])#set($c = $c + 1)#end$c",
        "#foreach($i in [1..3])#set($l2 = $i)#end$velocityCount|$foreach|$l2",
        "#foreach($i in [1, 2])$i#else none#end", "#foreach($i [1, 2])$i#end", "#foreach($i in)$i#end",
        "#foreach(i in [1])$i#end", "#foreach($i in [1, 2])$i", "#foreach($l in $l)$l#end $l",
        "#foreach($i in $input.path('$[*].id'))$i #end", "#foreach($i in $input.path('$..price'))$i #end",
        "#set($list = [3, 1, 2])#foreach($i in $list)#set($ignore = $list.add(9))$i#break#end $list",
    ]:
        case("foreach", "loop", SETUP + t, body=PETS)


def gen_control():
    for t in [
        "a#stop b", "a\n#stop\nb", "#if(true)a#stop#end b", "#foreach($i in [1, 2, 3])$i#if($i == 2)#stop#end#end after",
        "#macro(m)in-macro#stop after-stop#end before #m() after-macro", "#set($x = 1)#stop#set($x = 2)$x",
        "#stop", "text #stop() more", "#define($d)a#stop b#end[$d]c",
        "#break", "a#break b", "#if(true)a#break b#end c", "#macro(m)x#break y#end#m()z",
        "#foreach($i in [1, 2])#define($d)$i#break#end$d#end end",
    ]:
        case("control", "stop-break", t)
    for t in [
        "#define($greeting)Hello $name!#end#set($name = 'Ann')$greeting #set($name = 'Bob')$greeting",
        "#define($block)\n  line\n#end[$block]", "#define($d)#end[$d]", "#define($d)$d#end[$d]",
        "#define($d)x#end#set($e = \"$d$d\")$e", "#define($d)x#end$d.length()", "#define($d)x#end#if($d)T#end",
        "#define( $d )spaced#end$d", "#define($d)a#end#define($d)b#end$d", "#define($d)#foreach($i in [1..3])$i#end#end$d|$d",
        "#define(d)x#end", "#define($d)x", "#define($d.x)y#end", "#define($d)[$!unset]#end$d#set($unset = 'now')$d",
        "#foreach($n in ['a', 'b'])#define($cell)<$n>#end$cell#end",
    ]:
        case("define", "block", t)
    for t in [
        "#macro(hello $who)Hello, $who!#end#hello('World') #hello(\"VTL\")",
        "#macro(hello $who)Hello, $who!#end#hello()", "#macro(hello $who)Hello, $who!#end#hello('a' 'b')",
        "#macro(pair $a $b)($a,$b)#end#pair(1 2)#pair(1, 2)#pair([1, 2] {'k': 'v'})",
        "#macro(noargs)NA#end#noargs()#noargs", "#macro( spaced $x )<$x>#end#spaced( 5 )",
        "#macro(m $x)#set($x = 'changed')$x#end#set($v = 'orig')#m($v)|$v",
        "#macro(m $x)#set($y = 'leak')#end#m(1)$y", "#macro(m)$local#end#set($local = 'seen')#m()",
        "#macro(rec $n)$n#if($n > 0)#set($m1 = $n - 1)#rec($m1)#end#end#rec(5)",
        "#macro(inf)#inf()#end#inf()", "#macro(m $x)[$x]#end#m($nope)#m($!nope)",
        "#macro(m $x)$x.size()#end#m([1, 2, 3])", "#macro(m $x)$x#end#m(\"interp $s\")#set($s = 'S')#m(\"interp $s\")",
        "#macro(m $x)$x$x#end#set($c = 0)#m(\"#set($c = $c + 1)$c\")", "#undefinedmacro('x')", "#undefinedmacro",
        "#m()#macro(m)defined-late#end#m()", "#macro(m)a#end#macro(m)b#end#m()",
        "#macro(tag $name $body)<$name>$body</$name>#end#tag('b' 'bold')#tag('i' \"#tag('b' 'x')\")",
        "#macro(wrap)[$bodyContent]#end#@wrap()inner $s#end", "#macro(wrap)[$!bodyContent]#end#wrap()",
        "#macro(json $k $v)\"$k\": \"$util.escapeJavaScript($v)\"#end{#json('name' \"it's\"), #json('n' 1)}",
        "#macro(m $a)$a#end#m('unterminated)", "#macro()x#end", "#macro(m $a $a)$a#end#m(1 2)",
        "#macro(m)\n  body\n#end\n#m()\n#m()\n", "#macro(list $items)#foreach($i in $items)$i;#end#end#list($input.path('$.f'))",
        "#macro(m $x)$x#end#m($input.json('$.g'))", "#macro(m)$foreach.count#end#foreach($i in [1, 2])#m()#end",
    ]:
        case("macro", "def", SETUP + t, body=BODIES["flat"])


# ---------------------------------------------------------------------------------------------
# Comments, escaping, whitespace
# ---------------------------------------------------------------------------------------------


def gen_comments_escapes():
    for t in [
        "a ## comment\nb", "a## comment", "## whole line\nb", "a #* block *# b", "a #* multi\nline\n*# b",
        "a #** doc *# b", "#* unterminated", "a ##\nb", "a #* nested #* inner *# outer *# b",
        "#set($a = 1) ## set\n$a", "#if(true) ## c\nx#end", "$s## no space", "a#*x*#b", "##\n##\nc",
        "\"color\": \"#fff\"", "\"sel\": \"#id .class\"", "a # b", "a ### b", "#1 #a #$ #{", "#}",
        "url#anchor", "#[[literal $s #if(true) ## not comment]]#", "#[[unterminated", "a]]#b",
        "#[[\nmulti\nline\n]]#",
    ]:
        case("comment", "text", SETUP + t)
    for t in [
        "\\$s", "\\\\$s", "\\\\\\$s", "\\$nope", "\\\\$nope", "\\${s}", "\\$!s", "\\#if(true)x\\#end",
        "\\#set($a = 1)$a", "\\\\#if(true)x#end", "\\#foo", "\\ plain", "\\n \\t", "a\\b", "\\", "$s\\",
        "\\#end", "\\#\\#", "\\\\\\\\", "\\$m.k", "\\$s.length()", "#set($x = '\\$s')$x", "#set($x = \"\\$s\")$x",
        "#set($x = \"\\\\$s\")$x", "\\#[[x]]#", "\\##not comment", "\\#*x*#", "#macro(m)M#end\\#m()",
        "\\$input.json('$')", "$input.json('$')\\", "\\$util.escapeJavaScript('x')",
        "{\"regex\": \"^\\\\d+$\"}", "$", "$$", "#", "##", "#$", "$#",
    ]:
        case("escape", "text", SETUP + t, body='{"a": 1}')


def gen_whitespace():
    directives = {
        "set": ("#set($x = 1)", ""),
        "if": ("#if(true)", "#end"),
        "iffalse": ("#if(false)", "#end"),
        "foreach": ("#foreach($i in [1, 2])", "#end"),
        "macro": ("#macro(mm)", "#end"),
        "define": ("#define($dd)", "#end"),
        "comment": ("## note", ""),
        "block-comment": ("#* note *#", ""),
    }
    layouts = [
        "A\n{open}\nB\n{close}\nC\n",
        "A\n  {open}\n  B\n  {close}\nC\n",
        "A\n\t{open}  \n\tB\n\t{close}\t\nC",
        "A {open} B {close} C",
        "A\n{open}B{close}\nC",
        "A\r\n{open}\r\nB\r\n{close}\r\nC\r\n",
        "A\n\n{open}\n\nB\n\n{close}\n\nC",
        "{open}\nB\n{close}",
        "  {open}\n  B\n  {close}  ",
        "A\r{open}\rB\r{close}\rC",
    ]
    for name, (open_, close) in sorted(directives.items()):
        for layout in layouts:
            case("ws", name, layout.replace("{open}", open_).replace("{close}", close))
    for t in [
        "#set($a = 1)\n#set($b = 2)\n#set($c = 3)\n$a$b$c\n",
        "{\n  #set($x = 'v')\n  \"k\": \"$x\"\n}\n",
        "{\n#foreach($i in [1, 2, 3])\n  \"k$i\": $i#if($foreach.hasNext),#end\n#end\n}\n",
        "{\n  #foreach($i in [1, 2, 3])\n  \"k$i\": $i#if($foreach.hasNext),#end\n  #end\n}\n",
        "#if(true)\n\n#end\n", "#if(true)   \n   x   \n#end   \n", "   \n\t\n", "",
        "line with trailing spaces   \n#set($a = 1)   \n$a   \n",
        "#foreach($i in [1, 2])\n#if($i == 1)\none\n#else\nother\n#end\n#end\n",
        "#macro(m)\nM\n#end\n#m()\n#m()#m()\n", "a\n#stop\n", "#set($a = 1)#set($b = 2)\n\n$a\n\n$b",
        "#if(true)#end\n#if(true) #end\n #if(true)#end \n", "x\n#* c *#\ny", "x\n## c\ny", "x ## c\ny",
        "  ## indented comment\nz", "#if(true)a\n#end", "#if(true)\na#end", "\n#set($x = 1)\n",
        "#set($x = 1) \n", "#set($x = 1)\t\n", "#set($x = 1)\r\n$x", "#set($x = 1)\r$x", " #set($x = 1) $x",
        "#foreach($i in [1,2])\n  #if($i > 1)\n  ,\n  #end\n  $i\n#end\n",
    ]:
        case("ws", "mixed", t)


# ---------------------------------------------------------------------------------------------
# Java methods on strings, maps and lists
# ---------------------------------------------------------------------------------------------

STRINGS = [
    "Hello, World", "  padded  ", "", "a,b,,c,", "caf\u00e9 \u00fcber \u65e5\u672c", "x.y.z", "AbC123",
    "it's \"quoted\"", "tab\there", "path/to/file.txt", "emoji \U0001F600 ok", "$100 #tag",
]

STRING_METHODS = [
    "length()", "toUpperCase()", "toLowerCase()", "trim()", "isEmpty()", "contains('o')", "contains('')",
    "startsWith('He')", "startsWith('')", "endsWith('.txt')", "equals('Hello, World')",
    "equalsIgnoreCase('hello, world')", "indexOf('o')", "indexOf('o', 5)", "indexOf('zz')", "lastIndexOf('o')",
    "lastIndexOf(',')", "substring(1)", "substring(1, 4)", "substring(0, 0)", "substring(3, 2)", "substring(20)",
    "replace('o', '0')", "replace('', '-')", "replaceAll('[aeiou]', '*')", "replaceAll('(\\w+)', '<$1>')",
    "replaceAll('\\s+', ' ')", "replaceAll('\\.', '/')", "replaceAll('.', 'x')", "replaceAll('(', 'x')",
    "replaceAll('o', '$')", "replaceAll('o', '\\$')", "replaceFirst('[lL]', 'L')", "matches('[A-Za-z, ]+')",
    "matches('.*o.*')", "matches('(')", "split(',').size()", "split(',')[0]", "split(',', -1).size()",
    "split('.').size()", "split('\\.').size()", "split('').size()", "charAt(0)", "charAt(99)", "concat('!')",
    "compareTo('Hello')", "compareToIgnoreCase('HELLO, WORLD')", "toString()", "codePointAt(0)",
    "toCharArray().size()", "getBytes('UTF-8').size()",
]


def gen_string_methods():
    # Every method on a fixed string, then each string through a rotating subset of methods.
    for meth in STRING_METHODS:
        case("string", meth.split("(")[0], "#set($str = 'Hello, World')[$str.%s]" % meth)
    rot = 0
    for s in STRINGS:
        for _ in range(9):
            meth = STRING_METHODS[rot % len(STRING_METHODS)]
            rot += 7
            if meth.startswith("replace('',") and any(ord(ch) > 0xFFFF for ch in s):
                # would split a surrogate pair: not representable as UTF-8 output
                meth = "length()"
            case("string", "on-input", "#set($str = $input.path('$.s'))[$str.%s]" % meth,
                 body=json.dumps({"s": s}, ensure_ascii=False))
    for t in [
        "#foreach($p in $input.path('$.s').split(','))[$p]#end",
        "#foreach($p in $input.path('$.s').split(',', -1))[$p]#end",
        "#set($parts = $input.params('q').split(' '))$parts.size():$parts[0]:$parts.get(1)",
        "$input.params('type').toUpperCase().substring(1)", "$input.params('nope').length()",
        "$input.params('q').replaceAll('[^a-z]', '')", "$input.path('$.s').replaceAll(\"\\\\'\", \"'\")",
        "$util.escapeJavaScript($input.path('$.s')).replaceAll(\"\\\\'\", \"'\")",
        "$input.path('$.s').matches('^[0-9]+$')", "$input.json('$.s').length()",
        "#set($x = $input.path('$.s'))#if($x.startsWith('it'))starts#end",
        "$input.path('$.s').toLowerCase().contains('quoted')", "$input.body.length()", "$input.body.substring(0, 5)",
        "$context.requestId.substring(0, 8)", "$context.identity.sourceIp.split('\\.')[3]",
    ]:
        case("string", "chain", t, body=json.dumps({"s": "it's \"quoted\", a,b"}))


def gen_map_methods():
    maps = {
        "literal": "#set($mm = {'a': 1, 'b': 'two', 'c': [3]})",
        "input": "#set($mm = $input.path('$'))",
        "header": "#set($mm = $input.params().header)",
        "context": "#set($mm = $context.identity)",
        "parsed": "#set($mm = $util.parseJson('{\"a\": 1, \"b\": {\"c\": null}}'))",
    }
    methods = [
        "$mm", "$mm.size()", "$mm.isEmpty()", "$mm.keySet()", "$mm.values()", "$mm.entrySet()",
        "$mm.get('a')", "$mm.get('nope')", "$mm.a", "$mm['b']", "$mm.containsKey('a')", "$mm.containsKey('nope')",
        "$mm.containsValue(1)", "$mm.put('z', 26)|$mm", "$mm.put('a', 'replaced')|$mm", "$mm.remove('a')|$mm",
        "$mm.putAll({'x': 1, 'y': 2})|$mm", "$mm.getOrDefault('nope', 'dflt')", "$mm.toString()",
        "$mm.equals($mm)", "#set($ignore = $mm.clear())$mm|$mm.size()", "$mm.keySet().size()",
        "$mm.keySet().contains('a')", "#foreach($k in $mm.keySet())$k;#end", "#foreach($v in $mm)$v;#end",
        "$mm.entrySet().iterator().next().key",
    ]
    for mname, setup in maps.items():
        for meth in methods:
            case("map", mname, setup + "[" + meth + "]", body=BODIES["flat"])


def gen_list_methods():
    lists = {
        "literal": "#set($ll = ['a', 'b', 'c'])",
        "input": "#set($ll = $input.path('$.f'))",
        "range": "#set($ll = [1..3])",
        "parsed": "#set($ll = $util.parseJson('[1, \"two\", {\"x\": \"y/z\"}]'))",
    }
    methods = [
        "$ll", "$ll.size()", "$ll.isEmpty()", "$ll.get(0)", "$ll[1]", "$ll.get(9)", "$ll[-1]", "$ll.contains('b')",
        "$ll.contains(2)", "$ll.indexOf('c')", "$ll.indexOf(3)", "$ll.add('d')|$ll", "$ll.add(0, 'first')|$ll",
        "$ll.remove(0)|$ll", "$ll.remove('b')|$ll", "$ll.set(0, 'x')|$ll", "$ll.addAll(['p', 'q'])|$ll",
        "$ll.subList(0, 2)", "$ll.toString()", "$ll.clear()|$ll", "$ll.equals($ll)", "$ll.lastIndexOf('a')",
        "#foreach($x in $ll)$x;#end", "$ll.iterator().next()", "$ll.containsAll(['a'])", "$ll.toArray().size()",
    ]
    for lname, setup in lists.items():
        for meth in methods:
            case("list", lname, setup + "[" + meth + "]", body=BODIES["flat"])


# ---------------------------------------------------------------------------------------------
# $input
# ---------------------------------------------------------------------------------------------

JSONPATHS = [
    "$", "$.a", "$.b", "$.c", "$.d", "$.e", "$.f", "$.f[0]", "$.f[-1]", "$.f[5]", "$.f[0,2]", "$.f[0:2]",
    "$.f[1:]", "$.f[*]", "$.f.length()", "$.g", "$.g.h", "$['g']['h']", "$[\"g\"]", "$.g.*", "$.*", "$..h",
    "$.nope", "$.nope.deeper", "$.g.nope", "$.f[?(@ > 1)]", "$.a.b", "$[0]", "$.", "$.[", "a", "", "$..*",
    "$['a','b']", "@.a", "$.f.size()", "$.g['h']",
]

STORE_PATHS = [
    "$.store.name", "$.store.pets", "$.store.pets[1]", "$.store.pets[*].name", "$.store.pets[?(@.price < 100)]",
    "$.store.pets[?(@.vaccinated == true)].name", "$..price", "$..name", "$.store.address", "$.store.tags",
    "$.store.tags[-1:]", "$.store.owner", "$.store.rating", "$.store.open", "$.store.pets.length()",
    "$.store['address']['zip']", "$.store.pets[2].name", "$..pets[0].type", "$.store.*", "$.store.pets[0:1].id",
]


def gen_input_json_path():
    for p in JSONPATHS:
        case("input-json", "flat", "$input.json('%s')" % p, body=BODIES["flat"])
        case("input-path", "flat", "[$input.path('%s')]" % p, body=BODIES["flat"])
    for p in STORE_PATHS:
        case("input-json", "store", "$input.json('%s')" % p, body=BODIES["store"])
        case("input-path", "store", "[$input.path('%s')]" % p, body=BODIES["store"])
    for name, body in sorted(BODIES.items()):
        case("input-json", "root-" + name, "$input.json('$')", body=body)
        case("input-path", "root-" + name, "[$input.path('$')]", body=body)
        case("input-body", name, "[$input.body]", body=body)
    for p in ["$.int", "$.neg", "$.zero", "$.big", "$.huge", "$.dbl", "$.one", "$.tenth", "$.exp", "$.small",
              "$.trail", "$.negdbl", "$.long"]:
        case("input-number", p[2:], "$input.json('%s') [$input.path('%s')] #set($x = $input.path('%s'))[$x]"
             % (p, p, p), body=BODIES["numbers"])
    for k in ["plain", "quote", "apos", "slash", "nl", "uni", "emoji", "url", "html", "ctrl", "space", "empty"]:
        case("input-string", k, "$input.json('$.%s') [$input.path('$.%s')] $input.path('$.%s').length()" % (k, k, k),
             body=BODIES["strings"])
    for t in [
        "$input.json('$.a-b') $input.json(\"$['a-b']\") $input.json(\"$['a b']\")",
        "$input.json(\"$['$x']\") $input.json(\"$['a.b']\") $input.json(\"$['']\") $input.json(\"$['123']\")",
        "$input.path('$').size $input.path('$').empty $input.path('$').keySet",
        "$input.path('$').get('a-b') $input.path('$')['a b']",
    ]:
        case("input-path", "special-keys", t, body=BODIES["special-keys"])
    for name, body in sorted(INVALID_BODIES.items()):
        case("input-invalid", name + "-json", "before $input.json('$') after", body=body)
        case("input-invalid", name + "-path", "before $input.path('$.a') after", body=body)
        case("input-invalid", name + "-body", "before $input.body after", body=body)
        case("input-invalid", name + "-params", "before $input.params('type') after", body=body)
    for name, body in sorted(PERMISSIVE_BODIES.items()):
        case("input-permissive", name, "$input.json('$')|[$input.path('$')]|$input.json('$.a')", body=body)
    for t in [
        "#set($root = $input.path('$'))$root.a|$root.g.h|$root.f[1]|$root.f.size()|$root.keySet()",
        "#set($root = $input.path('$'))#foreach($k in $root.keySet())$k=$root.get($k);#end",
        "#set($f = $input.path('$.f'))#foreach($x in $f)$x#if($foreach.hasNext)+#end#end",
        "$input.path('$.g').h.toUpperCase()", "$input.json('$.g').replaceAll('\"', '')",
        "#set($a = $input.path('$.f'))$a.add(4)$a",
        "$input.path('$.c').booleanValue()", "#if($input.path('$.c'))yes#end", "$input.path('$.e').intValue()",
        "$input.json('$.f').size()", "$input.json", "$input.path", "$input.json()", "$input.path()",
        "$input.path('$').f", "$input.path('$').d", "$input.path('$').d.x",
    ]:
        case("input-path", "usage", t, body=BODIES["flat"])
    for body in ["", "{}", "[]", "   ", "0"]:
        case("input-empty", "all", "[$input.body]|[$input.json('$')]|[$input.path('$')]|[$input.json('$.a')]|[$input.path('$.a')]",
             body=body)


def gen_input_params():
    names = ["petId", "proxy", "type", "page", "q", "empty", "Accept", "accept", "Content-Type", "X-Quote",
             "nope", "", "PETID", "Host"]
    for n in names:
        case("input-params", "lookup", "[$input.params('%s')]" % n)
    for t in [
        "$input.params()", "$input.params().path", "$input.params().querystring", "$input.params().header",
        "$input.params().keySet()", "$input.params().size()", "$input.params().path.petId",
        "$input.params().header.get('Accept')", "$input.params().header.Accept", "$input.params().header['X-Quote']",
        "$input.params().querystring.get('nope')", "[$input.params().nope]", "$input.params().header.keySet()",
        "#foreach($t in $input.params().keySet())$t:$input.params().get($t).size();#end",
        "$input.params($nope)",
        "#if($input.params('empty') == '')empty-string#end #if($input.params('nope') == '')missing-is-empty#end",
        "#if($input.params('nope'))T#{else}F#end", "$input.params('type').length()",
    ]:
        case("input-params", "map", t)
    # precedence: the same name in several places
    for p, q, h in [({"id": "path"}, {"id": "query"}, {"id": "header"}), ({}, {"id": "query"}, {"id": "header"}),
                    ({}, {}, {"id": "header"}), ({"id": ""}, {"id": "query"}, {}), ({}, {}, {"ID": "upper"})]:
        case("input-params", "precedence", "[$input.params('id')]", path=p, querystring=q, header=h)
    case("input-params", "none", "[$input.params('x')] $input.params()", path={}, querystring={}, header={})


# ---------------------------------------------------------------------------------------------
# $util
# ---------------------------------------------------------------------------------------------

UTIL_ARGS = [
    "'plain'", "\"it's\"", "'say \"hi\"'", "'a/b\\c'", "'caf\u00e9 \u00fcber'", "'\U0001F600'", "'tab\there'",
    "\"new\nline\"", "''", "' '", "'a b&c=d+e%f'", "'<script>'", "$nope", "42", "2.5", "true", "[1, 'two']",
    "{'k': 'v'}", "$input.body", "$input.json('$')", "$input.path('$.s')", "'\u2028\u0001\u007f'",
]


def gen_util():
    body = json.dumps({"s": "it's \"q\" / \u00e9"}, ensure_ascii=False)
    for fn in ["escapeJavaScript", "urlEncode", "base64Encode"]:
        for a in UTIL_ARGS:
            case("util-" + fn, "arg", "[$util.%s(%s)]" % (fn, a), body=body)
    for a in ["'a+b%20c'", "'caf%C3%A9'", "'%E2%9C%93+ok'", "'100%'", "'%zz'", "'%C3'", "'plain'", "''", "$nope",
              "'a%2Fb%3Fc%3Dd'", "$util.urlEncode('round trip / & = \u00e9')", "42"]:
        case("util-urlDecode", "arg", "[$util.urlDecode(%s)]" % a)
    for a in ["'aGVsbG8='", "'aGVsbG8'", "'Y2Fmw6k='", "'8J+YgA=='", "''", "'not base64!'", "'aGVs bG8='",
              "'aGVsbG8=\\n'", "$nope", "'YQ=='", "'YQ'", "'_-8='", "$util.base64Encode('round trip \u00e9')", "'/w=='"]:
        case("util-base64Decode", "arg", "[$util.base64Decode(%s)]" % a)
    for a in ["'{\"a\": 1, \"b\": [true, null]}'", "'[1, 2, 3]'", "'\"str\"'", "'12.50'", "'true'", "'null'",
              "'{bad'", "''", "$nope", "\"{'single': 'quotes'}\"", "'not json'", "$input.body", "$input.json('$.s')",
              "'{\"x\": {\"y\": {\"z\": \"deep\"}}}'"]:
        case("util-parseJson", "arg", "#set($o = $util.parseJson(%s))[$o]" % a, body='{"s": "{\\"k\\": [1, 2]}"}')
    for t in [
        "#set($o = $util.parseJson('{\"a\": {\"b\": [10, 20]}}'))$o.a.b[1] $o.a.b.size() $o.keySet()",
        "#set($o = $util.parseJson($input.path('$.s')))$o.k[0]",
        "#set($o = $util.parseJson('[{\"n\": 1}, {\"n\": 2}]'))#foreach($x in $o)$x.n#end",
        "$util.parseJson('{\"a\": \"x/y\"}').a", "$util.parseJson('[\"x/y\"]')", "$util.parseJson('{\"a\": [\"x/y\"]}')",
        "$util.escapeJavaScript($util.base64Decode($util.base64Encode(\"it's\")))",
        "$util.urlDecode($util.urlEncode($input.body))", "$util.base64Encode($input.json('$'))",
        "$util.escapeJavaScript($input.json('$')).replaceAll(\"\\\\'\", \"'\")", "$util.nosuch('x')", "$util.escapeJavaScript()",
        "$util.escapeJavaScript('a', 'b')", "$util.urlEncode", "$util.qr('x')", "$util.toJson({'a': 1})",
    ]:
        case("util-misc", "chain", t, body=body)


# ---------------------------------------------------------------------------------------------
# $context, $stageVariables, overrides
# ---------------------------------------------------------------------------------------------


def gen_context():
    fields = ["accountId", "apiId", "domainName", "domainPrefix", "extendedRequestId", "httpMethod", "path",
              "protocol", "requestId", "requestTime", "requestTimeEpoch", "resourceId", "resourcePath", "stage",
              "identity.sourceIp", "identity.userAgent", "identity.apiKey", "identity.apiKeyId", "identity.caller",
              "identity.user", "identity.userArn", "identity.accountId", "identity.cognitoIdentityId",
              "authorizer.principalId", "authorizer.claims", "authorizer.claims.email", "authorizer.tenant",
              "authorizer.scopeCount", "error.message", "nosuch", "identity.nosuch", "requestOverride",
              "responseOverride", "requestOverride.header", "responseOverride.status"]
    for f in fields:
        case("context", "field", "[$context.%s]" % f, context=AUTH_CONTEXT)
        case("context", "field-noauth", "[$context.%s]" % f)
    for t in [
        "$context.keySet()", "$context.identity.keySet()", "$context.size()",
        "#foreach($k in $context.identity.keySet())$k=$!context.identity.get($k);#end",
        "$context.authorizer.claims['cognito:groups'].split(',').size()", "$context.authorizer.claims.get('sub')",
        "#if($context.authorizer.claims)has-claims#end",
        "#set($t = $context.requestTimeEpoch / 1000)$t", "$context['stage'] ${context.stage} $!{context.nosuch}",
        "$context.identity", "$context.authorizer",
    ]:
        case("context", "usage", t, context=AUTH_CONTEXT)
    case("context", "empty", "[$context.stage][$context.identity.sourceIp][$context.keySet()]", context={})
    case("context", "odd-values", "[$context.n][$context.b][$context.l][$context.l[1]][$context.o.k][$context.z]",
         context={"n": 1.5, "b": False, "l": ["x", "y"], "o": {"k": "v"}, "z": None})
    for sv, t in [
        (STAGE_VARS, "$stageVariables.env $stageVariables['backend'] ${stageVariables['lambdaAlias']} [$stageVariables.nope]"),
        (STAGE_VARS, "$stageVariables"), (STAGE_VARS, "$stageVariables.keySet()"), (STAGE_VARS, "$stageVariables.size()"),
        (STAGE_VARS, "$stageVariables.weird $util.urlEncode($stageVariables.weird)"),
        (STAGE_VARS, "#foreach($k in $stageVariables.keySet())$k=$stageVariables.get($k);#end"),
        ({}, "[$stageVariables.env][$stageVariables]"), ({"v1": "", "v2": "x"}, "[$stageVariables.v1][$stageVariables.v2]"),
        (STAGE_VARS, "#if($stageVariables.env == 'prod')production#{else}other#end"),
        (STAGE_VARS, "https://${stageVariables.backend}/${context.stage}/x"),
    ]:
        case("stagevars", "usage", t, stage_variables=sv)


def gen_overrides():
    for t in [
        "#set($context.requestOverride.header.X-One = 'one')done",
        "#set($context.requestOverride.header.X-List = ['a', 'b', 'c'])done",
        "#set($context.requestOverride.header.X-Empty = '')done",
        "#set($context.requestOverride.header.X-Num = 5)done",
        "#set($context.requestOverride.header.X-Map = {'k': 'v'})done",
        "#set($context.requestOverride.header.X-Nope = $nope)done",
        "#set($context.requestOverride.header['X-Bracket'] = 'b')done",
        "#set($context.requestOverride.header.x-lower = 'l')#set($context.requestOverride.header.X-Upper = 'u')done",
        "#set($context.requestOverride.querystring.q = 'one')done",
        "#set($context.requestOverride.querystring.multi = ['1', '2'])done",
        "#set($context.requestOverride.path.petId = '99')done",
        "#set($context.requestOverride.path.petId = ['a', 'b'])done",
        "#set($context.requestOverride.path.proxy = \"$input.params('proxy')/extra\")done",
        "#set($context.responseOverride.status = 400)done",
        "#set($context.responseOverride.status = '404')done",
        "#set($context.responseOverride.status = 'abc')done",
        "#set($context.responseOverride.status = 99)done",
        "#set($context.responseOverride.status = 600)done",
        "#set($context.responseOverride.status = 200.0)done",
        "#set($context.responseOverride.status = 599)done",
        "#set($context.responseOverride.status = ' 201 ')done",
        "#set($context.responseOverride.status = $input.path('$.code'))done",
        "#set($context.responseOverride.header.Content-Type = 'text/plain')done",
        "#set($context.responseOverride.header.Set-Cookie = ['a=1', 'b=2'])done",
        "#set($context.responseOverride.header.Access-Control-Allow-Origin = '*')done",
        "#if($input.path('$.code') >= 400)#set($context.responseOverride.status = $input.path('$.code'))#end$input.json('$.msg')",
        "#set($context.requestOverride.header.H = 'v')$context.requestOverride.header.H|$context.requestOverride",
        "#set($ro = $context.requestOverride)#set($ro.header.Via = 'alias')done",
        "#set($h = $context.requestOverride.header)#set($ignore = $h.put('X-Put', 'p'))done",
        "#foreach($k in ['A', 'B'])#set($context.requestOverride.header[$k] = \"v$k\")#end done",
        "#set($context.responseOverride.status = 418)#set($context.responseOverride.header.X-Teapot = 'yes')#set($context.requestOverride.header.X-Req = 'r')done",
        "$context.responseOverride.status|#set($context.responseOverride.status = 201)$context.responseOverride.status",
        "#set($context.requestOverride.querystring.empty = '')#set($context.requestOverride.querystring.list = [])done",
        "#set($context.requestOverride.header.X-Uni = 'caf\u00e9')done",
        "#set($context.requestOverride.header.X-Bad = \"a\nb\")done",
        "#set($context.responseOverride.status = -1)done",
        "#set($context.requestOverride.nosuch.x = 1)done",
    ]:
        case("override", "set", t, body='{"code": 503, "msg": "unavailable"}')


# ---------------------------------------------------------------------------------------------
# Unicode, errors and whole templates
# ---------------------------------------------------------------------------------------------


def gen_misc():
    for t in [
        "caf\u00e9 $s \u65e5\u672c \U0001F600", "#set($u = '\u00e9\u00e8')$u.length() $u.toUpperCase()",
        "#set($u = '\U0001F600x')$u.length() $u.indexOf('x') $u.codePointCount(0, $u.length())",
        "$input.path('$.uni') $input.json('$.uni')", "$util.escapeJavaScript($input.path('$.emoji'))",
        "$util.urlEncode($input.path('$.emoji'))", "$util.base64Encode($input.path('$.uni'))",
        "#set($\u00e9 = 1)$\u00e9", "$input.json('$.ctrl')", "\u0000nul in template", "\ufeffBOM first",
        "#set($x = \"\u2028\u2029\")[$x]",
    ]:
        case("unicode", "text", SETUP + t, body=BODIES["strings"])
    body_escaped = '{"uni": "caf\\u00e9 \\ud83d\\ude00", "ctrl": "a\\u0000b"}'
    case("unicode", "escaped-body", "$input.json('$.uni') [$input.path('$.uni')] $input.json('$.ctrl')", body=body_escaped)
    for t in [
        "#foreach($i in [1, 2)$i#end", "#if(true", "#set($a = [1, 2)", "#set($a = {'k': 1)", "$input.json('$'",
        "$input.json('$)", "#set($a = 'unterminated)", "#{if}(true)x#{end", "${s", "$s[", "$s[0", "#macro(m x)#end",
        "#foreach($i in [1..3])", "#end#end", "#if(1 +)x#end", "#set($a = 1 + )", "#set($a = (1 + 2)$a",
        "#if(true)#elseif#end", "#if(1 = 1)x#end", "${s.}", "$s.length(", "#set($a = [1..])", "#define()x#end",
        "#macro(m)", "#@nomacro()x#end", "#if($a == )x#end",
    ]:
        case("parse-error", "template", t)
    for t in [
        "$s.substring(50)", "$l.get(10)", "$input.path('$.f')[9]", "$util.base64Decode('%%%')", "$util.urlDecode('%')",
        "$input.json('$[')", "$input.path('$.f[?(@.x =')", "#set($x = $s.charAt(-1))$x",
        "#foreach($i in [1..3])$i$l.get($i)#end", "$util.parseJson('{')", "$input.params().header.put('a')",
    ]:
        case("runtime-error", "template", SETUP + t, body=BODIES["flat"])
    # whole templates in the style of real integrations, with randomised (seeded) inputs
    req_template = (
        "#set($inputRoot = $input.path('$'))\n"
        "{\n"
        "  \"requestId\": \"$context.requestId\",\n"
        "  \"method\": \"$context.httpMethod\",\n"
        "  \"pet\": {\n"
        "    \"id\": \"$input.params('petId')\",\n"
        "    \"name\": \"$util.escapeJavaScript($inputRoot.name).replaceAll(\"\\\\'\", \"'\")\",\n"
        "    \"tags\": [#foreach($t in $inputRoot.tags)\"$t\"#if($foreach.hasNext), #end#end],\n"
        "    \"price\": #if($inputRoot.price)$inputRoot.price#{else}null#end\n"
        "  },\n"
        "  \"raw\": $input.json('$')\n"
        "}\n"
    )
    names = ["Rex", "O'Malley", "Zo\u00eb \"Z\"", "", "A/B", "\u72ac"]
    for i in range(24):
        pet = {"name": RNG.choice(names), "tags": RNG.sample(["a", "b", "c", "d", "e"], RNG.randint(0, 4))}
        if RNG.random() < 0.7:
            pet["price"] = RNG.choice([1, 0, 12.5, 99.99, 1e-3, 100000000, -4])
        if RNG.random() < 0.2:
            del pet["tags"]
        case("whole", "pet-request", req_template, body=json.dumps(pet, ensure_ascii=False),
             path={"petId": str(RNG.randint(1, 999))})
    resp_template = (
        "#set($root = $input.path('$'))\n"
        "#if($root.errorMessage)\n"
        "#set($context.responseOverride.status = 500)\n"
        "{\"error\": \"$util.escapeJavaScript($root.errorMessage)\"}\n"
        "#else\n"
        "{\n"
        "  \"items\": [\n"
        "#foreach($it in $root.items)\n"
        "    {\"k\": \"$it.k\", \"v\": $it.v, \"ok\": $it.ok, \"n\": $foreach.count}#if($foreach.hasNext),#end\n"
        "#end\n"
        "  ],\n"
        "  \"count\": $root.items.size()\n"
        "}\n"
        "#end\n"
    )
    for i in range(16):
        if RNG.random() < 0.25:
            body = json.dumps({"errorMessage": RNG.choice(["boom", "it's broken", "bad \"input\" / x"])})
        else:
            n = RNG.randint(0, 6)
            body = json.dumps({"items": [{"k": "k%d" % j, "v": RNG.choice([j, j * 0.5, -j, 1e10]), "ok": RNG.random() < 0.5}
                                         for j in range(n)]})
        case("whole", "list-response", resp_template, body=body)


# ---------------------------------------------------------------------------------------------
# Collections that hold themselves (Java's toString: "(this Collection)", "(this Map)"; a longer
# cycle overflows the stack, an error)
# ---------------------------------------------------------------------------------------------


def gen_cycles():
    L = "#set($l = [1])#set($d = $l.add($l))"
    M = "#set($m = {})#set($d = $m.put('a', $m))"
    for t in [
        L + "$l", L + "#set($d = $l.add($l))$l", L + "#set($s = \"x$l\")$s", L + "[$l.toString()]",
        L + "#set($s = 'x' + $l)$s", L + "$l.size() $l.get(1).size() $l.get(1).get(0)",
        L + "#set($b = [$l])$b", L + "#foreach($x in $l)[$x]#end",
        M + "$m", M + "#set($d = $m.put('b', 2))$m $m.size()", M + "$m.toString()",
        M + "#foreach($e in $m.entrySet())$e.key=$e.value#end",
        "#set($m = {})#set($d = $m.put($m, 1))$m",
        "#set($m = {})#set($l = [$m])#set($d = $l.add($l))#set($d = $m.put('l', 1))$l",
        "#set($a = [1])#set($b = [2])#set($d = $a.add($b))#set($d = $b.add($a))$a",
        "#set($a = [1])#set($b = [2])#set($d = $a.add($b))#set($d = $b.add($a))$a.size() $b.size()",
        "#set($m = {})#set($l = [$m])#set($d = $m.put('l', $l))$m",
        "#set($m = {})#set($n = {})#set($d = $m.put('n', $n))#set($d = $n.put('m', $m))x${m}y",
        "#set($a = $input.path('$.arr'))#set($d = $a.add($a))$a",
        "#set($a = $input.path('$.arr'))#set($d = $a.add($a))$a.size()",
        "#set($l = [])#foreach($i in [1..300])#set($l = [$l])#end$l",
    ]:
        case("cycle", "self", t, body='{"arr": [1, 2]}')


# ---------------------------------------------------------------------------------------------
# Unresolvable references: API Gateway's Velocity resolves every reference it cannot resolve
# (undefined variable, missing property or key, method returning null or void, JSON null) to
# "" -- in every position a reference can take -- and compares them as such.
# ---------------------------------------------------------------------------------------------

UNRESOLVED_SOURCES = [
    "$nope", "${nope}", "$m.missing", "$m.get('missing')", "$s.nosuch", "$s.nosuch()",
    "$nope.deeper.chain()", "$input.path('$.missing')", "$input.path('$.d')",
    "$input.path('$').missing", "$m.put('fresh', 1)", "$m.putAll({})", "$l.clear()",
    "$context.authorizer.principalId", "$context.nope", "$input.params().header.nope",
    "$stageVariables.nope", "$foreach.hasNext", "$util.parseJson('null')",
]

UNRESOLVED_POSITIONS = [
    "<X>", "<Q>", "<\\X>", "<X.length()>", "<X.toString()>",
    "#if(X)T#{else}F#end", "#if(!X)T#{else}F#end", "#if(X && true)T#{else}F#end",
    "#if(X || false)T#{else}F#end", "#if(X == $null)T#{else}F#end", "#if(X == '')T#{else}F#end",
    "#if(X != '')T#{else}F#end", "#if(X == 'null')T#{else}F#end", "#if(X == $nope2)T#{else}F#end",
    "#if(X == 0)T#{else}F#end", "#if(X < 1)T#{else}F#end",
    "#set($r = 'was')#set($r = X)[$r]", "#set($a = [X, 1])$a $a.size()",
    "#set($h = {'k': X})$h $h.size() [$h.k]", "#set($q = 'a' + X + 'b')$q",
    "#set($q = X + 1)[$q]", "#set($q = \"a${X}b\")$q".replace("${X}", "X"),
    "$util.urlEncode(X)|$util.escapeJavaScript(X)|$util.base64Encode(X)",
    "#foreach($i in X)[$i]#end|", "$s.concat(X)|$s.contains(X)",
]


def gen_unresolved():
    body = BODIES["flat"]
    for src in UNRESOLVED_SOURCES:
        quiet = src.replace("$", "$!", 1)
        for pos in UNRESOLVED_POSITIONS:
            t = pos.replace("Q", quiet) if "Q" in pos and "X" not in pos else pos
            t = t.replace("X", src)
            case("unresolved", "ref", SETUP + t, body=body)
    # null and empty values that are resolved, compared with unresolvable ones
    for t in [
        "#set($r = $input.path('$.empty'))[$r]#if($r == '')E#end#if($r == $null)N#end#if($r)T#end",
        "#set($r = $input.path('$.nullstr'))[$r]#if($r == 'null')S#end#if($r == $null)N#end",
        "#set($r = $input.json('$.missing'))[$r]#if($r == '')E#end#if($r == 'null')S#end",
        "#set($r = $input.json('$.d'))[$r]#if($r == '')E#end#if($r == 'null')S#end",
        "#set($r = $input.path('$.list'))[$r]#if($r == '')E#end#if($r == $null)N#end#if($r.isEmpty())Z#end",
        "#set($r = $input.path('$.obj'))[$r]#if($r == '')E#end#if($r == $null)N#end[$r.nested]",
        "#set($r = $input.path('$.missing')){\"body\": $r, \"nested\": $r.nested, \"isNull\": "
        "#if($r == $null)\"true\"#else\"false\"#end, \"isEmpty\": #if($r == \"\")\"true\"#else\"false\"#end}",
        "#set($r = $input.path('$.list')){\"body\": $r, \"nested\": $r.nested, \"isNull\": "
        "#if($r == $null)\"true\"#else\"false\"#end, \"isEmpty\": #if($r == \"\")\"true\"#else\"false\"#end}",
        "#if($input.path('$.obj.stuff') != '')set#{else}unset#end",
        "#set($x = $input.path('$.obj'))#if($x.missing.stuff != '')set#{else}unset#end",
        "\\$nope|\\$!nope|\\${nope}|\\\\$nope",
        "#set($n = $null)[$n]#set($n = $nope.x)[$n]#if($null == $nope)eq#end",
    ]:
        case("unresolved", "value", t,
             body='{"empty": "", "nullstr": "null", "d": null, "list": [], "obj": {}}')
    # void methods give "" (a real string: the chain goes on)
    for t in [
        "[$m.putAll({'z': 1})][$m.putAll({}).length()][$m.size()]",
        "[$l.clear()][$l.clear().length()][$l.size()]",
        "[$m.clear()][$m.clear().isEmpty()]",
        "[$l.add(0, 'z')][$l.add(1, 'y').length()]$l",
        "#set($r = $l.add(0, 'z'))[$r]#if($r == '')E#end",
    ]:
        case("unresolved", "void", SETUP + t)
    # the objects API Gateway nests in $context print as nothing but work as maps
    for t in [
        "[$context.identity]", "[$context.get('identity')]", "[$context.requestOverride]",
        "[$context.requestOverride.header]", "[$context.responseOverride.header]",
        "#foreach($k in $context.identity.keySet())$k=[$context.identity.get($k)];#end",
        "[$context.identity.size()][$context.identity.sourceIp][$context.identity.isEmpty()]",
        "#set($i = $context.identity)#if($i == '')E#end#if($i)T#end[$i.toString()]",
        "#set($d = $context.requestOverride.header.put('X-A', 'a'))[$context.requestOverride.header.size()]",
    ]:
        case("unresolved", "context", t)
        case("unresolved", "context-auth", t.replace("identity", "authorizer"), context=AUTH_CONTEXT)


# ---------------------------------------------------------------------------------------------
# The payload is parsed once per render: what $input.path hands out is live, so changes made
# through it show in later $input.path / $input.json calls.
# ---------------------------------------------------------------------------------------------


def gen_live():
    body = '{"l": [1, 2, 3], "m": {"a": 1, "n": {"x": "y"}}, "s": "str", "arr": [{"k": 1}, {"k": 2}]}'
    for t in [
        "#set($l = $input.path('$.l'))#set($d = $l.set(0, 'x'))$input.path('$.l')|$input.json('$.l')",
        "#set($l = $input.path('$.l'))#set($d = $l.add(4))$input.path('$.l').size()|$input.json('$')",
        "#set($m = $input.path('$.m'))#set($d = $m.put('b', 2))$input.path('$.m')|$input.json('$.m.b')",
        "#set($m = $input.path('$.m'))#set($d = $m.remove('a'))$input.path('$.m.a')|$input.json('$.m')",
        "#set($n = $input.path('$.m.n'))#set($d = $n.put('x', 'z'))$input.path('$.m')|$input.path('$.m.n.x')",
        "#set($r = $input.path('$'))#set($d = $r.put('new', [1]))$input.json('$.new')|$input.path('$.new[0]')",
        "#set($r = $input.path('$'))#set($d = $r.clear())$input.json('$')|[$input.path('$.l')]",
        "#set($a = $input.path('$.arr[0]'))#set($d = $a.put('k', 9))$input.json('$.arr')",
        "#set($ks = $input.path('$.arr[*].k'))#set($d = $ks.add(7))$input.json('$.arr[*].k')|$ks",
        "#set($a = $input.path('$.l'))#set($b = $input.path('$.l'))#set($d = $a.add(9))$b",
        "#set($l = $input.path('$.l'))#set($d = $l.set(0, $l))$input.path('$.l').size()",
        "#set($m = $input.path('$.m'))#set($d = $m.put('self', $m))$input.path('$.m').size()",
        "#foreach($x in $input.path('$.arr'))#set($d = $x.put('seen', true))#end$input.json('$.arr')",
        "#set($s = $input.path('$.s'))#set($s = 'changed')$input.path('$.s')",
        "#set($m = $input.path('$.m'))#set($m.a = 5)$input.path('$.m.a')|$input.json('$.m')",
        "#set($l = $input.path('$.l'))#set($l[1] = 'q')$input.json('$.l')",
        "$input.body|#set($m = $input.path('$.m'))#set($d = $m.put('b', 2))$input.body",
    ]:
        case("input-live", "path", t, body=body)


# ---------------------------------------------------------------------------------------------
# Velocity 1.7 details: unicode escapes in string literals, index notation in #set targets,
# Java overload resolution on String methods, regex methods with empty matches, #include and
# #parse (no template resources: the render fails).
# ---------------------------------------------------------------------------------------------


def gen_header_case():
    """Header names reach templates as the client sent them (issue 13, point 4): lookups are
    exact, so a lower-case lookup finds a lower-case name only."""
    headers = {"x-trace": "lower", "X-Mixed-CASE": "mixed", "Content-Type": "application/json",
               "accept": "*/*"}
    for t in [
        "[$input.params('x-trace')][$input.params('X-Trace')][$input.params('X-Mixed-CASE')][$input.params('x-mixed-case')]",
        "#foreach($k in $input.params().header.keySet())$k=$input.params().header.get($k);#end",
        "[$input.params().header.accept][$input.params().header.Accept][$input.params().get('header').get('x-trace')]",
        "#set($h = $input.params().header)#if($h.containsKey('x-trace'))lower#end#if($h.containsKey('X-Trace'))title#end",
        "$input.params().header.size() $input.params().header.keySet()",
    ]:
        case("header-case", "params", t, header=headers)


def gen_details():
    for t in [
        "#set($s = \"caf\\u00e9\")$s|$s.length()", "#set($s = 'caf\\u00e9')$s|$s.length()",
        "#set($s = \"\\u0041\\u0042\")$s", "#set($s = \"\\u00\")$s", "#set($s = \"x\\uZZZZ\")$s",
        "#set($s = \"\\u2603 snow\")$s", "#set($s = \"\\ud83d\\ude00\")$s.length()",
        "#set($s = \"tab\\tnl\\n\")$s", "#set($s = 'it''s \\u0041')$s", "$util.escapeJavaScript(\"\\u00e9\")",
        "#set($s = \"\\\\u0041\")$s",
    ]:
        case("details", "unicode-escape", t)
    for t in [
        "#set($m = {})#set($m['a'] = {})#set($m['a']['b'] = 1)$m",
        "#set($m = {'a': {}})#set($m.a['b'] = 2)$m",
        "#set($m = {'a': {}})#set($m['a'].b = 3)$m",
        "#set($l = [[1, 2], [3]])#set($l[0][1] = 'x')$l",
        "#set($m = {'l': [1, 2]})#set($m.l[1] = 'y')$m",
        "#set($m = {'l': [1, 2]})#set($m['l'][0] = 'z')$m",
        "#set($k = 'key')#set($m = {})#set($m[$k] = 'v')#set($m[\"${k}2\"] = 'w')$m",
        "#set($m = {'a': {'b': {}}})#set($m.a.b['c'] = 4)$m",
        "#set($m = {})#set($m['missing']['b'] = 1)$m",
        "#set($l = [1])#set($l[0][0] = 2)$l",
        "#set($m = $input.path('$'))#set($m['g']['h'] = 'j')$input.json('$.g')",
    ]:
        case("details", "set-index", t, body=BODIES["flat"])
    for t in [
        "#set($s = 'abcabc')$s.indexOf(98)|$s.indexOf('b')|$s.indexOf(98, 2)|$s.lastIndexOf(99)",
        "#set($s = 'aXb')$s.indexOf(88)|$s.contains('X')|$s.indexOf('X', 0)",
        "#set($s = 'abc')$s.charAt(1)|$s.codePointAt(1)|$s.indexOf(1.0)",
        "#set($s = 'a,b,,c')#foreach($p in $s.split(','))[$p]#end|$s.split(',').size()|$s.split(',', -1).size()|#foreach($p in $s.split(',', 2))[$p]#end",
        "#set($s = 'hello')$s.substring(1)|$s.substring(1, 3)|$s.startsWith('l', 2)|$s.endsWith('lo')",
        "#set($s = 'Hello')$s.replace('l', 'L')|$s.replace(108, 76)|$s.compareTo('Help')|$s.equalsIgnoreCase('HELLO')",
        "#set($s = 'x')$s.concat(5)|$s.matches('x')|$s.valueOf(5)|$s.valueOf($nope)|$s.valueOf([1])", "#set($s = 'x')$s.format('%s-%s', 'a', 'b')",
    ]:
        case("details", "overload", t)
    for t in [
        "#set($s = 'aaa')$s.replaceAll('a*', '-')", "#set($s = 'abc')$s.replaceAll('', '-')",
        "#set($s = 'abc')$s.replaceFirst('', '-')", "#set($s = 'abc')$s.replaceAll('x*', '-')",
        "#set($s = 'aXbX')$s.replaceAll('X?', '.')", "#set($s = 'abc')$s.split('').size()|#foreach($p in $s.split(''))[$p]#end|$s.split('', -1).size()",
        "#set($s = 'a1b2')#foreach($p in $s.split('\\d'))[$p]#end|$s.split('\\d').size()|$s.split('\\d', -1).size()", "#set($s = ',a,')$s.split(',').size()",
        "#set($s = 'aaa')$s.replaceFirst('a*', '-')", "#set($s = 'ab')$s.replaceAll('(?=b)', '-')",
        "#set($s = 'a b  c')#foreach($p in $s.split(' +'))[$p]#end|#foreach($p in $s.split(' '))[$p]#end", "#set($s = '')$s.split(',').size()",
        "#set($s = 'xyz')$s.replaceAll('y|', '_')",
    ]:
        case("details", "regex-empty", t)
    store = ('{"items": [{"name": "a", "price": 5, "tags": ["x"]}, {"name": "b", "price": 15.5},'
             ' {"name": "c", "price": 25, "sale": true}, {"name": "d"}], "limit": 10}')
    for t in [
        "$input.json('$.items[?(@.price > 10)]')", "$input.json('$.items[?(@.price <= 15.5)].name')",
        "$input.json('$.items[?(@.sale)].name')", "$input.json('$.items[?(@.name == \"b\")]')",
        "$input.json(\"$.items[?(@.name == 'c')].price\")", "$input.json('$.items[?(@.price != 5)].name')",
        "$input.json('$.items[?(@.price > 10 && @.price < 20)].name')",
        "$input.json('$.items[?(@.price < 10 || @.sale == true)].name')",
        "$input.path('$.items[?(@.price > 100)]').size()", "$input.json('$..items[?(@.tags)].name')",
        "#foreach($i in $input.path('$.items[?(@.price)]'))$i.name#end",
    ]:
        case("details", "jsonpath-filter", t, body=store)
    for t in [
        "a#include('x.vm')b", "a#parse('x.vm')b", "#include()", "#set($f = 'f.vm')#parse($f)",
        "#if(false)#include('x.vm')#end ok", "#evaluate('#set($a = 1)$a')",
    ]:
        case("details", "include", t)


def dump_line(c):
    """One case as a JSON line: UTF-8 text, but DEL, U+2028/9 and U+FEFF escaped so that every
    JSON reader (and every editor) sees the same characters."""
    text = json.dumps(c, ensure_ascii=False)
    for ch in ("\x7f", "\u2028", "\u2029", "\ufeff"):
        text = text.replace(ch, "\\u%04x" % ord(ch))
    return text


def main():
    curated_path = os.path.join(HERE, "cases-curated.jsonl")
    curated = []
    with open(curated_path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    curated.append(json.loads(line))
                except ValueError as e:
                    sys.exit("%s:%d: %s" % (curated_path, n, e))
    gen_references()
    gen_interpolation()
    gen_literals()
    gen_operators()
    gen_set()
    gen_if()
    gen_foreach()
    gen_control()
    gen_comments_escapes()
    gen_whitespace()
    gen_string_methods()
    gen_map_methods()
    gen_list_methods()
    gen_input_json_path()
    gen_input_params()
    gen_util()
    gen_context()
    gen_overrides()
    gen_misc()
    gen_cycles()
    gen_unresolved()
    gen_live()
    gen_details()
    gen_header_case()
    ids = set()
    out = os.path.join(HERE, "cases.jsonl")
    with open(out, "w", encoding="utf-8", newline="\n") as f:
        for c in curated + CASES:
            if c["id"] in ids:
                sys.exit("duplicate case id %s" % c["id"])
            ids.add(c["id"])
            f.write(dump_line(c) + "\n")
    print("gen_cases: %d curated + %d generated = %d cases -> %s" % (len(curated), len(CASES), len(ids), out),
          file=sys.stderr)


if __name__ == "__main__":
    main()
