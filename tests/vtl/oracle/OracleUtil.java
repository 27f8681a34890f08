import java.io.UnsupportedEncodingException;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Base64;

import org.apache.commons.lang.StringEscapeUtils;

import net.minidev.json.parser.ParseException;

/**
 * The {@code $util} object of an API Gateway mapping template, as this oracle emulates it.
 * Arguments are taken as Object and turned into strings with String.valueOf (so numbers,
 * booleans, maps and lists are accepted); a null argument gives a null result.
 */
public class OracleUtil {
    private static String str(Object o) {
        return o == null ? null : String.valueOf(o);
    }

    /** commons-lang 2 StringEscapeUtils.escapeJavaScript: ' becomes \', / becomes \/. */
    public String escapeJavaScript(Object s) {
        return s == null ? null : StringEscapeUtils.escapeJavaScript(str(s));
    }

    /** Stringified JSON to an object (json-smart, permissive, ordered maps, like $input.path). */
    public Object parseJson(Object s) throws ParseException {
        return s == null ? null : OracleInput.parse(str(s));
    }

    /** application/x-www-form-urlencoded, UTF-8 (java.net.URLEncoder). */
    public String urlEncode(Object s) throws UnsupportedEncodingException {
        return s == null ? null : URLEncoder.encode(str(s), "UTF-8");
    }

    /** java.net.URLDecoder, UTF-8 ('+' becomes a space; a bad % escape is an error). */
    public String urlDecode(Object s) throws UnsupportedEncodingException {
        return s == null ? null : URLDecoder.decode(str(s), "UTF-8");
    }

    /** Base64 (RFC 4648 alphabet, padded) of the UTF-8 bytes. */
    public String base64Encode(Object s) {
        return s == null ? null : Base64.getEncoder().encodeToString(str(s).getBytes(StandardCharsets.UTF_8));
    }

    /** Strict RFC 4648 decode (an invalid character is an error), bytes read as UTF-8. */
    public String base64Decode(Object s) {
        return s == null ? null : new String(Base64.getDecoder().decode(str(s)), StandardCharsets.UTF_8);
    }

    public String toString() {
        return "";
    }
}
