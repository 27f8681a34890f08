//! API Gateway mapping templates: the Velocity Template Language as API Gateway runs it
//! (Apache Velocity 1.7) with AWS's `$input`, `$util`, `$context` and `$stageVariables`.
//!
//! Parse once with [`Template::parse`] (syntax errors carry 1-based line/column), render many
//! times with [`Template::render`]. Pure: no I/O, no threads, no `unsafe`.
//!
//! [`Compiled`] puts VTL and the opt-in Handlebars adapter ([`HandlebarsTemplate`], chosen by
//! the `x-apigate-template-engine: handlebars` extension) behind one parse/render interface.
//!
//! [`JsonPath`] is the gateway's one JSONPath (Jayway 2.0): `$input.path`/`$input.json` use it,
//! and so do parameter mappings' body paths (`apigate-core` compiles them at load). A literal
//! path argument is compiled when the template is parsed.
//!
//! # Supported
//! * References `$x`, `${x}`, `$!x`, `$!{x}`, properties (`$a.b`: map key; `getB()`/`isB()`
//!   for the objects modelled), method calls `$a.b(…)`, index `$a[0]`, `$a['k']`, `$a[-1]`.
//!   Velocity 1.7 escapes: `\$x` renders `$x` when `$x` is defined and `\$x` when not,
//!   `\\$x` renders `\` + value; `\#if` renders `#if`; `$!` starting no reference renders `$`.
//! * Literals: strings (`"…"` interpolates references and directives, `'…'` is literal; a
//!   doubled quote is a quote), integers (Integer/Long/BigInteger), doubles, `true`/`false`,
//!   lists `[1, 2]`, ranges `[1..5]`, maps `{"k": v}` (insertion-ordered).
//! * Operators with Velocity's rules: `+ - * / %` (integer widening on overflow, `/ 0` and
//!   `% 0` null, `+` with a string concatenates), `== != < <= > >=` (numbers across types,
//!   `toString()` comparison for unrelated types), `&& || !` and `and or not eq ne lt le gt ge`.
//! * Directives: `#set` (null right-hand side leaves the target unchanged; map entries and
//!   list items as targets), `#if/#elseif/#else/#end`, `#foreach` (`$foreach.index/count/
//!   hasNext/first/last/parent/topmost`, `$velocityCount`, `$velocityHasNext`; maps iterate
//!   their values), `#break`, `#break($foreach.parent)`, `#stop`, `#define`, `#macro` (args by
//!   name, usable before their definition, depth limit 20), `#@macro … #end` with
//!   `$bodyContent`, `##` and `#* *#` comments, `#[[ unparsed ]]#`, `#{if}` brace forms.
//! * Velocity 1.7 whitespace: `#set`, `#if`/`#elseif`/`#else`/`#end`, `#foreach`, `#macro`,
//!   `#define`, a macro call with parentheses, and `##` comments consume the rest of their line
//!   when it holds only spaces/tabs (and its `\n`, `\r\n` or `\r`); indentation *before* a
//!   directive is kept, except that spaces/tabs that start a new token right before `#set`
//!   (at the template start, or right after a reference, directive or comment) belong to the
//!   `#set` and vanish. `#* *#` consumes no newline.
//! * Velocity 1.7 conditions: `null` and `false` are false, any other reference value is true
//!   (even `""`); literals, arithmetic and interpolated strings as a whole condition are false.
//! * Java methods on String, Map, List, Map.Entry, Iterator, numbers and booleans that
//!   templates use (see `java_string`, `collections`, `eval::methods`), Java `toString`
//!   rendering (`{k=v}`, `[a, b]`, `Double.toString`), Java regexes through
//!   `apigate_java_regex` (`replaceAll`, `replaceFirst`, `matches`, `split` with Java's
//!   trailing-empty-string rule and `$1`/`${name}` replacements).
//! * AWS objects: `$input.body`, `$input.json(p)`, `$input.path(p)` (Jayway JsonPath 2.0 over a
//!   permissive json-smart parse), `$input.params()`, `$input.params(name)`, `$util.*`,
//!   `$context.*` and `$context.requestOverride`/`responseOverride`, `$stageVariables`.
//!
//! The behaviour is pinned by a differential corpus rendered by Apache Velocity 1.7 with
//! API Gateway's objects emulated (`tests/vtl/` at the workspace root; `cargo test -p
//! apigate-template --test vtl_oracle`).
//!
//! # Deliberate choices (API Gateway's behaviour where AWS documents none)
//! * A reference whose value is null renders as **nothing** (`$nope` → empty), not as its
//!   source text as stock Velocity does: API Gateway's observed behaviour. Escaped references
//!   keep Velocity's rule (`\$nope` → `\$nope`), and a null operand of a string `+` is its
//!   source text (`'a' + $nope` → `a$nope`), as in Velocity.
//! * An empty body is seen as `{}` by `$input.body`, `$input.json` and `$input.path`.
//! * `$input.json`/`$input.path` of a path that matches nothing give `null`/null; a body that
//!   json-smart cannot read even permissively (or the JSON `null`) makes them fail the render
//!   ([`RenderError::InvalidJson`]; AWS answers 400/500). Permissive reading accepts single
//!   quotes, unquoted keys and values, useless commas and trailing text; non-JSON text is a
//!   string (`a=b` → `"a=b"`).
//! * `$input.params(name)` is case-sensitive (exact header name as received), searching path,
//!   query string, then headers, and gives `""` when absent. A repeated name gives its last
//!   value (also in `$input.params()` maps, which keep first-seen order).
//! * `$input.path` objects render as `{k=v}` (`LinkedHashMap`) and arrays as compact JSON with
//!   `/` escaped as `\/` (json-smart `JSONArray.toString()`); `$input.json` never escapes `/`.
//!   Each `$input.path` call hands out a fresh copy (as re-parsing would), so mutating it does
//!   not change later calls. `$context` arrays behave as JSON arrays too.
//! * `#foreach` stops **silently** after [`Limits::max_foreach_iterations`] iterations
//!   (Velocity's `directive.foreach.maxloops`, AWS's documented 1,000) rather than failing;
//!   the step, output, nesting and macro-depth (20) limits are errors.
//! * A list or map that holds itself prints `(this Collection)` / `(this Map)` in its place,
//!   as Java's `toString`; a longer cycle, a JSON array holding itself, or nesting beyond
//!   512 levels fails the render ([`RenderError::CyclicValue`], [`Limit::Nesting`]) where
//!   Java overflows its stack. Printing charges a step per element and stops at the output
//!   limit as it goes.
//! * [`Template::render_with`] takes an [`Interrupt`] (a deadline and cancel flags), checked
//!   every 4,096 steps and after every 256 KiB of string work.
//! * Setting the same `requestOverride`/`responseOverride` parameter twice with `#set` is an
//!   error ([`RenderError::DuplicateOverride`]), as AWS answers 5XX. The status override counts
//!   only when its text (trimmed) is an integer 100–599 (`'404'` counts, `200.0` does not).
//!
//! # Known differences from Velocity 1.7 + AWS
//! * Parse-error messages are apigate's own (positions are comparable, wording is not); a
//!   `-` right after an operand (`$a -1`) is subtraction here, a parse error in Velocity.
//! * Java regex constructs the `regex` crate lacks (lookaround, backreferences, possessive
//!   quantifiers, atomic groups) make `replaceAll`/`split`/`matches` fail the render.
//! * json-smart's `BigDecimal`s (floats written with more than 18 chars) and integers beyond
//!   128 bits keep and print their JSON text, but arithmetic on them uses doubles (Velocity
//!   computes exactly); integer arithmetic beyond 128 bits gives null.
//! * Java arrays (`split`, `toCharArray`, `toArray`) are lists: they render as `[a, b]`
//!   rather than `[Ljava.lang.String;@…`, and accept `add`. Iterators render as nothing.
//! * `#foreach` iterates a snapshot, so changing the list inside the loop does not throw.
//! * `#include`, `#parse`, `#evaluate` and `#literal` are not supported: like an undefined
//!   macro they render as their source text.
//! * Methods not modelled give null, as an unknown method does in Velocity.
//! * JsonPath: the subset listed in `jsonpath` (no functions, no regex filters).

#![forbid(unsafe_code)]

mod ast;
mod aws_objects;
mod collections;
mod eval;
mod handlebars_engine;
mod java_string;
mod json_smart;

/// Parses `text` the way json-smart does in permissive mode (unquoted names, single quotes,
/// …), as API Gateway reads a mock integration's request template (`{statusCode: 200}`, as
/// CDK emits it); `None` when it is not JSON even so.
pub fn parse_permissive_json(text: &str) -> Option<serde_json::Value> {
    json_smart::parse(text).ok().map(|v| eval::to_serde(&v, 0))
}
mod jsonpath;
mod number;
mod parser;
mod value;

use std::collections::BTreeMap;
use std::fmt;

pub use handlebars_engine::HandlebarsTemplate;
pub use jsonpath::{JsonPath, PathError};

/// Which language a mapping template is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Engine {
    /// VTL (Velocity 1.7), what API Gateway runs: the default.
    #[default]
    Velocity,
    /// Handlebars, opted into with `x-apigate-template-engine: handlebars`.
    Handlebars,
}

impl Engine {
    /// `velocity` / `handlebars` (the values of `x-apigate-template-engine`).
    pub fn parse(s: &str) -> Option<Engine> {
        match s {
            "velocity" => Some(Engine::Velocity),
            "handlebars" => Some(Engine::Handlebars),
            _ => None,
        }
    }
}

/// A template of either engine, compiled at load time.
#[derive(Debug)]
pub enum Compiled {
    /// VTL.
    Velocity(Template),
    /// Handlebars.
    Handlebars(HandlebarsTemplate),
}

impl Compiled {
    /// Compiles `source` with `engine`.
    pub fn parse(engine: Engine, source: &str) -> Result<Compiled, ParseError> {
        match engine {
            Engine::Velocity => Template::parse(source).map(Compiled::Velocity),
            Engine::Handlebars => HandlebarsTemplate::parse(source).map(Compiled::Handlebars),
        }
    }
}

impl Render for Compiled {
    /// Handlebars renders (bounded by their input: no loops of their own) look at
    /// `interrupt` only before they start.
    fn render_with(
        &self,
        input: &RenderInput<'_>,
        limits: &Limits,
        interrupt: &Interrupt<'_>,
    ) -> Result<Rendered, RenderError> {
        match self {
            Compiled::Velocity(t) => t.render_with(input, limits, interrupt),
            Compiled::Handlebars(t) => {
                eval::check_interrupt(interrupt)?;
                t.render(input, limits)
            }
        }
    }
}

/// A parsed template (parse once at load time, render many times; `Send + Sync`).
#[derive(Debug)]
pub struct Template {
    parsed: parser::Parsed,
}

/// A template syntax error. `line` and `col` are 1-based; `col` counts chars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in chars.
    pub col: u32,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.col, self.message
        )
    }
}

impl std::error::Error for ParseError {}

/// What a template sees. Built by the runtime per request.
#[derive(Debug, Clone, Copy)]
pub struct RenderInput<'a> {
    /// `$input.body` (already text; empty is seen as `{}`).
    pub body: &'a str,
    /// Path parameters.
    pub path: &'a [(String, String)],
    /// Query-string parameters in request order; single-value views keep the last value of a
    /// repeated name.
    pub querystring: &'a [(String, String)],
    /// Request headers, names as received. `$input.params('x')` and
    /// `$input.params().header.get('X')` match names exactly (case-sensitive), as the AWS
    /// documentation's examples and AWS-generated templates (which test both `Origin` and
    /// `origin`) imply.
    pub header: &'a [(String, String)],
    /// `$context` as a nested JSON object.
    pub context: &'a serde_json::Value,
    /// `$stageVariables`.
    pub stage_variables: &'a BTreeMap<String, String>,
}

/// Bounds on one render.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Iterations per `#foreach` (AWS: 1,000); further items are skipped, as Velocity's
    /// `directive.foreach.maxloops`.
    pub max_foreach_iterations: usize,
    /// Largest output, in bytes; also the largest string a template may build.
    pub max_output_bytes: usize,
    /// Evaluation steps (nodes, expressions, loop iterations, range elements) before the
    /// render fails; also the largest list or map a template may build.
    pub max_steps: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_foreach_iterations: 1000,
            max_output_bytes: 10 * 1024 * 1024,
            max_steps: 1_000_000,
        }
    }
}

/// Overrides a template wrote into `$context.requestOverride` / `$context.responseOverride`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Overrides {
    /// `.header` — name → values (a list value gives several).
    pub header: Vec<(String, Vec<String>)>,
    /// `.path` (request only).
    pub path: Vec<(String, String)>,
    /// `.querystring` (request only) — name → values.
    pub querystring: Vec<(String, Vec<String>)>,
    /// `$context.responseOverride.status`, only when it is an integer 100–599 (its text,
    /// trimmed); otherwise ignored, as AWS.
    pub status: Option<u16>,
}

/// The result of a render.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Rendered {
    /// The rendered text.
    pub output: String,
    /// `$context.requestOverride.*`.
    pub request_override: Overrides,
    /// `$context.responseOverride.*`.
    pub response_override: Overrides,
    /// `$context.requestOverride` and `$context.responseOverride` as the template left them
    /// (`{"requestOverride": {..}, "responseOverride": {..}}`), `Null` when it set nothing:
    /// handed to a later template of the same request in its `context` (a mock integration's
    /// response template sees what its request template set).
    pub carried: serde_json::Value,
}

/// Which limit a render exceeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    /// [`Limits::max_output_bytes`].
    OutputBytes,
    /// [`Limits::max_steps`].
    Steps,
    /// Blocks, macro calls and `#define` renders nested too deeply to evaluate safely.
    Nesting,
}

/// Why a render failed. `#stop` is not an error.
#[derive(Debug, Clone, PartialEq)]
pub enum RenderError {
    /// A limit was exceeded.
    LimitExceeded(Limit),
    /// Macro calls nested deeper than 20 (Velocity's `velocimacro.max.depth`).
    MacroDepth {
        /// The macro being called.
        name: String,
    },
    /// The body is not JSON (json-smart's permissive reading) for `$input.json`/`$input.path`
    /// or `$util.parseJson` (AWS answers 400/500).
    InvalidJson {
        /// Parser message.
        message: String,
    },
    /// An invalid JSONPath expression.
    InvalidJsonPath {
        /// The path.
        path: String,
        /// What is wrong.
        message: String,
    },
    /// A second `#set` of the same override parameter (AWS: 5XX).
    DuplicateOverride {
        /// The parameter name.
        name: String,
    },
    /// A Java method threw (index out of range, bad regex, malformed escape, …).
    MethodInvocation {
        /// The Java exception, as text.
        message: String,
    },
    /// A list or map to be turned into text holds itself through another one (or a JSON
    /// array holds itself): Java's `toString` recurses until its stack overflows.
    CyclicValue,
    /// The render was stopped from outside ([`Interrupt`]).
    Interrupted(Interruption),
}

/// Why a render was stopped from outside.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Interruption {
    /// [`Interrupt::deadline`] passed.
    Deadline,
    /// One of [`Interrupt::flags`] was set.
    Cancelled,
}

/// Stops a render from outside: a deadline, and flags another thread may set (the client
/// went away, the server is stopping). The renderer looks at them every few thousand steps
/// (and sooner after work on large strings), never per node, so a render overruns its
/// deadline by at most a few hundred microseconds of evaluation.
#[derive(Debug, Clone, Copy, Default)]
pub struct Interrupt<'a> {
    /// When the render must have finished.
    pub deadline: Option<std::time::Instant>,
    /// Set to stop the render ([`Interruption::Cancelled`]).
    pub flags: &'a [&'a std::sync::atomic::AtomicBool],
}

impl fmt::Display for RenderError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RenderError::LimitExceeded(Limit::OutputBytes) => {
                f.write_str("template output exceeds the size limit")
            }
            RenderError::LimitExceeded(Limit::Nesting) => f.write_str("template nests too deeply"),
            RenderError::LimitExceeded(Limit::Steps) => {
                f.write_str("template evaluation exceeds the step limit")
            }
            RenderError::MacroDepth { name } => {
                write!(f, "macro '{name}' nested deeper than 20 calls")
            }
            RenderError::InvalidJson { message } => write!(f, "invalid JSON payload: {message}"),
            RenderError::InvalidJsonPath { path, message } => {
                write!(f, "invalid JSONPath '{path}': {message}")
            }
            RenderError::DuplicateOverride { name } => {
                write!(f, "override parameter '{name}' set more than once")
            }
            RenderError::MethodInvocation { message } => {
                write!(f, "method invocation failed: {message}")
            }
            RenderError::CyclicValue => f.write_str(
                "a list or map holds itself through another one and cannot be turned into text",
            ),
            RenderError::Interrupted(Interruption::Deadline) => {
                f.write_str("template rendering exceeded its time limit")
            }
            RenderError::Interrupted(Interruption::Cancelled) => {
                f.write_str("template rendering cancelled")
            }
        }
    }
}

impl std::error::Error for RenderError {}

impl Template {
    /// Parses a template.
    pub fn parse(source: &str) -> Result<Template, ParseError> {
        Ok(Template {
            parsed: parser::parse(source)?,
        })
    }
}

impl Render for Template {
    fn render_with(
        &self,
        input: &RenderInput<'_>,
        limits: &Limits,
        interrupt: &Interrupt<'_>,
    ) -> Result<Rendered, RenderError> {
        eval::Evaluator::new(self, input, limits, *interrupt).run()
    }
}

/// Rendering a parsed template ([`Template`], or either engine's [`Compiled`] form) for one
/// request.
pub trait Render {
    /// Renders, stopped by `interrupt` (a deadline, cancel flags).
    fn render_with(
        &self,
        input: &RenderInput<'_>,
        limits: &Limits,
        interrupt: &Interrupt<'_>,
    ) -> Result<Rendered, RenderError>;

    /// Renders with no interrupt (still within `limits`).
    fn render(&self, input: &RenderInput<'_>, limits: &Limits) -> Result<Rendered, RenderError> {
        self.render_with(input, limits, &Interrupt::default())
    }
}
