import java.util.LinkedHashMap;
import java.util.Map;

import com.jayway.jsonpath.Configuration;
import com.jayway.jsonpath.JsonPath;
import com.jayway.jsonpath.PathNotFoundException;
import com.jayway.jsonpath.spi.json.JsonSmartJsonProvider;

import net.minidev.json.JSONStyle;
import net.minidev.json.JSONValue;
import net.minidev.json.parser.JSONParser;
import net.minidev.json.parser.ParseException;

/**
 * The {@code $input} object of an API Gateway mapping template, as this oracle emulates it.
 * Every choice where AWS's documentation is silent is listed in tests/vtl/README.md.
 */
public class OracleInput {
    private final String body;
    private final Map<String, Object> params;

    public OracleInput(String body, Map<String, String> path, Map<String, String> querystring,
            Map<String, String> header) {
        // AWS replaces an empty payload with "{}" before the template sees it.
        this.body = body == null || body.isEmpty() ? "{}" : body;
        Map<String, Object> p = new LinkedHashMap<String, Object>();
        p.put("path", path);
        p.put("querystring", querystring);
        p.put("header", header);
        this.params = p;
    }

    /** $input.body: the raw payload. */
    public String getBody() {
        return body;
    }

    /** $input.params(): {path, querystring, header}, each a map of single values. */
    public Map<String, Object> params() {
        return params;
    }

    /** $input.params(name): path, then query string, then header; "" when absent. */
    @SuppressWarnings("unchecked")
    public String params(String name) {
        if (name == null) {
            return "";
        }
        for (String where : new String[] {"path", "querystring", "header"}) {
            Map<String, String> m = (Map<String, String>) params.get(where);
            if (m != null && m.containsKey(name)) {
                String v = m.get(name);
                return v == null ? "" : v;
            }
        }
        return "";
    }

    /** $input.path(p): the JSONPath result as a native object (null when the path matches nothing). */
    public Object path(String path) throws ParseException {
        return evaluate(path);
    }

    /** $input.json(p): the JSONPath result serialised as JSON ("null" when it matches nothing). */
    public String json(String path) throws ParseException {
        return toJson(evaluate(path));
    }

    public String toString() {
        return "";
    }

    /**
     * The payload, parsed once per render (on first use): the objects $input.path hands out
     * are live parts of it, so a template that changes one (`$l.set(0, 'x')`, `$m.put(..)`)
     * sees the change in later $input.path / $input.json calls, as API Gateway does (issue 13).
     */
    private Object document;

    private Object evaluate(String path) throws ParseException {
        if (document == null) {
            document = parse(body);
        }
        if (path == null) {
            return null;
        }
        try {
            return JsonPath.compile(path).read(document, configuration());
        } catch (PathNotFoundException e) {
            return null;
        }
    }

    static Configuration configuration() {
        return Configuration.builder().jsonProvider(new JsonSmartJsonProvider()).build();
    }

    /** json-smart in permissive mode with ordered maps: what Jayway's JsonSmartJsonProvider uses. */
    static Object parse(String text) throws ParseException {
        return new JSONParser(JSONParser.MODE_PERMISSIVE).parse(text, JSONValue.defaultReader.DEFAULT_ORDERED);
    }

    static String toJson(Object value) {
        return JSONValue.toJSONString(value, JSONStyle.LT_COMPRESS);
    }
}
