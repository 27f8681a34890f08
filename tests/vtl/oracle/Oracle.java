import java.io.BufferedReader;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.apache.velocity.VelocityContext;
import org.apache.velocity.app.VelocityEngine;
import org.apache.velocity.app.event.EventCartridge;
import org.apache.velocity.app.event.InvalidReferenceEventHandler;
import org.apache.velocity.app.event.ReferenceInsertionEventHandler;
import org.apache.velocity.context.Context;
import org.apache.velocity.util.introspection.Info;

import net.minidev.json.JSONValue;
import net.minidev.json.parser.JSONParser;

/**
 * Differential oracle for apigate's mapping-template engine: renders every case of a
 * cases.jsonl file with Apache Velocity 1.7 and API Gateway's $input/$util/$context/$stageVariables
 * (as emulated by OracleInput/OracleUtil) and writes one JSON line per case, sorted by id.
 *
 * Usage: java Oracle CASES.jsonl EXPECTED.jsonl
 */
public class Oracle {
    /** API Gateway renders a reference whose value is null as nothing (not as its source text). */
    public static class NullAsEmpty implements ReferenceInsertionEventHandler {
        public Object referenceInsert(String reference, Object value) {
            return value == null ? "" : value;
        }
    }

    /**
     * API Gateway's Velocity resolves every reference it cannot resolve -- an undefined variable,
     * a missing property, a method that returns null (void methods included) -- to the empty
     * string. Recorded on AWS: `#set($r = $input.path('$.missing'))` then `$r`, `$r.nested`
     * render nothing and `$r == $null`, `$r == ""` are both true (LocalStack's snapshot
     * test_input_path_template_formatting, recorded 2025-06-18). Velocity's mechanism for this is
     * an InvalidReferenceEventHandler whose answer replaces the unresolved value.
     */
    public static class InvalidAsEmpty implements InvalidReferenceEventHandler {
        public Object invalidGetMethod(Context context, String reference, Object object,
                String property, Info info) {
            return "";
        }

        public boolean invalidSetMethod(Context context, String leftreference,
                String rightreference, Info info) {
            return false;
        }

        public Object invalidMethod(Context context, String reference, Object object,
                String method, Info info) {
            return "";
        }
    }

    /**
     * The objects API Gateway nests in $context (identity, authorizer, requestOverride.header,
     * ...) work as maps but print as nothing: recorded on AWS, `$context.get('identity')`,
     * `$context.get('requestOverride')` and `$context.requestOverride.get('header')` render ""
     * (LocalStack's snapshot test_sqs_amz_json_protocol, recorded 2025-05-20); the developer
     * guide says `$context.authorizer.claims` "returns null", i.e. prints nothing.
     */
    public static class OpaqueMap extends LinkedHashMap<String, Object> {
        private static final long serialVersionUID = 1L;

        @Override
        public String toString() {
            return "";
        }
    }

    /** A copy of `m` whose nested maps (at any depth) are OpaqueMaps. */
    @SuppressWarnings("unchecked")
    static Object opaque(Object v) {
        if (!(v instanceof Map)) {
            return v;
        }
        OpaqueMap out = new OpaqueMap();
        for (Map.Entry<String, Object> e : ((Map<String, Object>) v).entrySet()) {
            out.put(e.getKey(), opaque(e.getValue()));
        }
        return out;
    }

    static VelocityEngine engine() throws Exception {
        VelocityEngine ve = new VelocityEngine();
        ve.setProperty("runtime.log.logsystem.class", "org.apache.velocity.runtime.log.NullLogChute");
        ve.setProperty("runtime.references.strict", "false");
        ve.setProperty("directive.foreach.maxloops", "1000");
        ve.setProperty("runtime.introspector.uberspect",
                "org.apache.velocity.util.introspection.SecureUberspector");
        ve.setProperty("velocimacro.library", "");
        ve.setProperty("parser.pool.size", "1");
        ve.setProperty("input.encoding", "UTF-8");
        ve.setProperty("output.encoding", "UTF-8");
        ve.init();
        return ve;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> obj(Object o) {
        return o instanceof Map ? (Map<String, Object>) o : new LinkedHashMap<String, Object>();
    }

    static Map<String, String> strings(Object o) {
        Map<String, String> out = new LinkedHashMap<String, String>();
        for (Map.Entry<String, Object> e : obj(o).entrySet()) {
            out.put(e.getKey(), e.getValue() == null ? null : String.valueOf(e.getValue()));
        }
        return out;
    }

    static Map<String, Object> render(Map<String, Object> c) throws Exception {
        Map<String, Object> result = new LinkedHashMap<String, Object>();
        String id = String.valueOf(c.get("id"));
        result.put("id", id);
        String template = String.valueOf(c.get("template"));
        Map<String, Object> in = obj(c.get("input"));
        Object body = in.get("body");
        OracleInput input = new OracleInput(body == null ? "" : String.valueOf(body), strings(in.get("path")),
                strings(in.get("querystring")), strings(in.get("header")));

        Map<String, Object> context = new LinkedHashMap<String, Object>(obj(c.get("context")));
        Map<String, Object> reqOv = new LinkedHashMap<String, Object>();
        reqOv.put("header", new LinkedHashMap<String, Object>());
        reqOv.put("path", new LinkedHashMap<String, Object>());
        reqOv.put("querystring", new LinkedHashMap<String, Object>());
        Map<String, Object> respOv = new LinkedHashMap<String, Object>();
        respOv.put("header", new LinkedHashMap<String, Object>());
        context.put("requestOverride", reqOv);
        context.put("responseOverride", respOv);
        for (Map.Entry<String, Object> e : context.entrySet()) {
            e.setValue(opaque(e.getValue()));
        }

        VelocityContext vc = new VelocityContext();
        vc.put("input", input);
        vc.put("util", new OracleUtil());
        vc.put("context", context);
        vc.put("stageVariables", new LinkedHashMap<String, String>(strings(c.get("stageVariables"))));
        EventCartridge ec = new EventCartridge();
        ec.addEventHandler(new NullAsEmpty());
        ec.addEventHandler(new InvalidAsEmpty());
        ec.attachToContext(vc);

        StringWriter out = new StringWriter();
        try {
            engine().evaluate(vc, out, "template", template);
        } catch (Throwable t) {
            result.put("error", describe(t));
            return result;
        }
        result.put("output", out.toString());

        Map<String, Object> req = new LinkedHashMap<String, Object>();
        Map<String, Object> ro = obj(context.get("requestOverride"));
        putIfNotEmpty(req, "header", multi(ro.get("header")));
        putIfNotEmpty(req, "path", single(ro.get("path")));
        putIfNotEmpty(req, "querystring", multi(ro.get("querystring")));
        if (!req.isEmpty()) {
            result.put("requestOverride", req);
        }
        Map<String, Object> resp = new LinkedHashMap<String, Object>();
        Map<String, Object> so = obj(context.get("responseOverride"));
        putIfNotEmpty(resp, "header", multi(so.get("header")));
        Integer status = status(so.get("status"));
        if (status != null) {
            resp.put("status", status);
        }
        if (!resp.isEmpty()) {
            result.put("responseOverride", resp);
        }
        return result;
    }

    static String describe(Throwable t) {
        String msg = t.getMessage();
        return t.getClass().getSimpleName() + ": " + (msg == null ? "" : msg);
    }

    static void putIfNotEmpty(Map<String, Object> m, String k, Map<String, Object> v) {
        if (!v.isEmpty()) {
            m.put(k, v);
        }
    }

    /** Header and query-string overrides: a list value gives several values, anything else one. */
    static Map<String, Object> multi(Object o) {
        Map<String, Object> out = new LinkedHashMap<String, Object>();
        for (Map.Entry<String, Object> e : obj(o).entrySet()) {
            List<String> vals = new ArrayList<String>();
            if (e.getValue() instanceof Collection) {
                for (Object x : (Collection<?>) e.getValue()) {
                    vals.add(String.valueOf(x));
                }
            } else {
                vals.add(String.valueOf(e.getValue()));
            }
            out.put(e.getKey(), vals);
        }
        return out;
    }

    /** Path overrides: one string each. */
    static Map<String, Object> single(Object o) {
        Map<String, Object> out = new LinkedHashMap<String, Object>();
        for (Map.Entry<String, Object> e : obj(o).entrySet()) {
            out.put(e.getKey(), String.valueOf(e.getValue()));
        }
        return out;
    }

    /** A status override counts only if its string form is an integer 100..599. */
    static Integer status(Object o) {
        if (o == null) {
            return null;
        }
        try {
            int s = Integer.parseInt(String.valueOf(o).trim());
            return s >= 100 && s <= 599 ? Integer.valueOf(s) : null;
        } catch (NumberFormatException e) {
            return null;
        }
    }

    // ---- stable JSON output ----

    static void writeJson(StringBuilder sb, Object v) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String) {
            writeString(sb, (String) v);
        } else if (v instanceof Integer) {
            sb.append(v.toString());
        } else if (v instanceof Map) {
            sb.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> e : ((Map<?, ?>) v).entrySet()) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                writeString(sb, String.valueOf(e.getKey()));
                sb.append(": ");
                writeJson(sb, e.getValue());
            }
            sb.append('}');
        } else if (v instanceof Collection) {
            sb.append('[');
            boolean first = true;
            for (Object x : (Collection<?>) v) {
                if (!first) {
                    sb.append(", ");
                }
                first = false;
                writeJson(sb, x);
            }
            sb.append(']');
        } else {
            writeString(sb, String.valueOf(v));
        }
    }

    static void writeString(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char ch = s.charAt(i);
            switch (ch) {
                case '"': sb.append("\\\""); break;
                case '\\': sb.append("\\\\"); break;
                case '\n': sb.append("\\n"); break;
                case '\r': sb.append("\\r"); break;
                case '\t': sb.append("\\t"); break;
                case '\b': sb.append("\\b"); break;
                case '\f': sb.append("\\f"); break;
                default:
                    if (ch < 0x20 || ch == 0x7f) {
                        sb.append(String.format("\\u%04x", (int) ch));
                    } else if (Character.isHighSurrogate(ch) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1))) {
                        sb.append(ch).append(s.charAt(i + 1));
                        i++;
                    } else if (Character.isSurrogate(ch)) {
                        // A lone surrogate cannot be represented in UTF-8 (nor in a Rust String).
                        System.err.println("oracle: warning: lone surrogate written as U+FFFD");
                        sb.append('\uFFFD');
                    } else {
                        sb.append(ch);
                    }
            }
        }
        sb.append('"');
    }

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: Oracle CASES.jsonl EXPECTED.jsonl");
            System.exit(2);
        }
        TreeMap<String, String> lines = new TreeMap<String, String>();
        int lineNo = 0;
        try (BufferedReader r = new BufferedReader(
                new InputStreamReader(new FileInputStream(args[0]), StandardCharsets.UTF_8))) {
            String line;
            while ((line = r.readLine()) != null) {
                lineNo++;
                if (line.trim().isEmpty()) {
                    continue;
                }
                Object parsed = new JSONParser(JSONParser.MODE_RFC4627)
                        .parse(line, JSONValue.defaultReader.DEFAULT_ORDERED);
                Map<String, Object> c = obj(parsed);
                String id = String.valueOf(c.get("id"));
                if (c.get("id") == null || c.get("template") == null) {
                    throw new IllegalArgumentException(args[0] + ":" + lineNo + ": a case needs id and template");
                }
                if (lines.containsKey(id)) {
                    throw new IllegalArgumentException(args[0] + ":" + lineNo + ": duplicate id " + id);
                }
                StringBuilder sb = new StringBuilder();
                writeJson(sb, render(c));
                lines.put(id, sb.toString());
            }
        }
        try (Writer w = new OutputStreamWriter(new FileOutputStream(args[1]), StandardCharsets.UTF_8)) {
            for (String l : lines.values()) {
                w.write(l);
                w.write('\n');
            }
        }
        System.err.println("oracle: " + lines.size() + " cases rendered into " + args[1]);
    }
}
