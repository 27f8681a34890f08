//! The route table: API Gateway's resource tree and how a request path finds its method.
//!
//! Precedence at each level is static segment > `{param}` > `{greedy+}`; when a more specific
//! branch cannot match the rest of the path, or its resource has no method for the request's
//! verb, the next one is tried. A resource answers with the method for the request's verb, else
//! its `ANY` method. Paths are split at `/` while still
//! percent-encoded, and each segment is decoded before matching, so `test%2Ftest.txt` is one
//! segment whose value is `test/test.txt`. Decoding follows [`crate::path_safety`]: a segment
//! with a malformed escape, bytes that are not UTF-8, or a `.`/`..` segment (raw, `%2e`, or
//! inside a value through `%2F`) fails the lookup instead of matching.

use std::borrow::Cow;

use crate::model::{HttpMethod, Method};
use crate::path_safety::{self, PathError};

/// One segment of a resource path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Segment {
    Static(String),
    Param(String),
    Greedy(String),
}

impl Segment {
    /// Parses one segment of a path template (`abc`, `{id}`, `{proxy+}`); the caller has
    /// checked the characters.
    pub fn parse(s: &str) -> Segment {
        match s.strip_prefix('{').and_then(|r| r.strip_suffix('}')) {
            Some(inner) => match inner.strip_suffix('+') {
                Some(name) => Segment::Greedy(name.to_string()),
                None => Segment::Param(inner.to_string()),
            },
            None => Segment::Static(s.to_string()),
        }
    }

    fn text(&self) -> Cow<'_, str> {
        match self {
            Segment::Static(s) => Cow::Borrowed(s),
            Segment::Param(n) => Cow::Owned(format!("{{{n}}}")),
            Segment::Greedy(n) => Cow::Owned(format!("{{{n}+}}")),
        }
    }
}

#[derive(Debug)]
struct Resource {
    path: String,
    statics: Vec<(String, usize)>,
    variable: Option<(Segment, usize)>,
    methods: Vec<(HttpMethod, usize)>,
}

impl Resource {
    fn new(path: String) -> Resource {
        Resource {
            path,
            statics: Vec::new(),
            variable: None,
            methods: Vec::new(),
        }
    }
}

/// The resource tree with its methods.
#[derive(Debug)]
pub struct RouteTable {
    resources: Vec<Resource>,
    methods: Vec<Method>,
}

impl Default for RouteTable {
    fn default() -> Self {
        RouteTable {
            resources: vec![Resource::new("/".into())],
            methods: Vec::new(),
        }
    }
}

/// Why a path could not be added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InsertError {
    /// A sibling already has a different variable part (`existing` is its path).
    VariableSibling { existing: String },
    /// The resource already has a method for this verb.
    DuplicateMethod { resource: String },
}

/// A request's route: its method and its path parameter values (percent-decoded).
#[derive(Debug)]
pub struct RouteMatch<'a> {
    pub method: &'a Method,
    /// The method's place in the table ([`RouteTable::indexed_methods`]): a key for what the
    /// runtime resolves per method at load (its metrics' label sets).
    pub id: usize,
    pub path_params: Vec<(&'a str, String)>,
}

/// Why a request path finds no method. AWS answers 403 Missing Authentication Token for the
/// first two; a path that cannot be decoded safely is the client's error (400).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteError {
    NoResource,
    NoMethod,
    BadPath(PathError),
}

impl RouteTable {
    /// Ensures the resource for `segments` exists and returns its index.
    pub fn add_resource(&mut self, segments: &[Segment]) -> Result<usize, InsertError> {
        let mut at = 0;
        for seg in segments {
            let Some(parent) = self.resources.get(at) else {
                break;
            };
            let existing = match seg {
                Segment::Static(s) => parent.statics.iter().find(|(n, _)| n == s).map(|(_, i)| *i),
                Segment::Param(_) | Segment::Greedy(_) => match &parent.variable {
                    Some((v, i)) if v == seg => Some(*i),
                    Some((_, i)) => {
                        let existing = self
                            .resources
                            .get(*i)
                            .map(|r| r.path.clone())
                            .unwrap_or_default();
                        return Err(InsertError::VariableSibling { existing });
                    }
                    None => None,
                },
            };
            at = match existing {
                Some(i) => i,
                None => self.add_child(at, seg),
            };
        }
        Ok(at)
    }

    fn add_child(&mut self, parent: usize, seg: &Segment) -> usize {
        let next = self.resources.len();
        let parent_path = self
            .resources
            .get(parent)
            .map(|r| r.path.as_str())
            .unwrap_or("/");
        let path = if parent_path == "/" {
            format!("/{}", seg.text())
        } else {
            format!("{parent_path}/{}", seg.text())
        };
        self.resources.push(Resource::new(path));
        if let Some(p) = self.resources.get_mut(parent) {
            match seg {
                Segment::Static(s) => p.statics.push((s.clone(), next)),
                Segment::Param(_) | Segment::Greedy(_) => p.variable = Some((seg.clone(), next)),
            }
        }
        next
    }

    /// Adds `method` to resource `resource` (from [`RouteTable::add_resource`]).
    pub fn add_method(&mut self, resource: usize, method: Method) -> Result<(), InsertError> {
        let id = self.methods.len();
        let Some(res) = self.resources.get_mut(resource) else {
            return Err(InsertError::DuplicateMethod {
                resource: String::new(),
            });
        };
        if res.methods.iter().any(|(v, _)| *v == method.verb) {
            return Err(InsertError::DuplicateMethod {
                resource: res.path.clone(),
            });
        }
        res.methods.push((method.verb, id));
        res.methods.sort_by_key(|(v, _)| *v);
        self.methods.push(method);
        Ok(())
    }

    /// Finds the method for `verb` on `raw_path` (the request path after the stage, still
    /// percent-encoded, starting with `/`). A trailing `/` is ignored.
    pub fn lookup(&self, verb: HttpMethod, raw_path: &str) -> Result<RouteMatch<'_>, RouteError> {
        let trimmed = raw_path.strip_prefix('/').unwrap_or(raw_path);
        let trimmed = trimmed.strip_suffix('/').unwrap_or(trimmed);
        let segments: Vec<Cow<'_, str>> = if trimmed.is_empty() {
            Vec::new()
        } else {
            trimmed
                .split('/')
                .map(path_safety::decode_path_value)
                .collect::<Result<_, _>>()
                .map_err(RouteError::BadPath)?
        };
        let mut bound = Vec::new();
        let Some(method_id) = self.walk(0, &segments, 0, &mut bound, Some(verb)) else {
            // Nothing serves this verb here: tell a path with no resource from a resource
            // without the method (both answer 403 Missing Authentication Token).
            let mut unused = Vec::new();
            return Err(match self.walk(0, &segments, 0, &mut unused, None) {
                Some(_) => RouteError::NoMethod,
                None => RouteError::NoResource,
            });
        };
        let method = self.methods.get(method_id).ok_or(RouteError::NoMethod)?;
        Ok(RouteMatch {
            method,
            id: method_id,
            path_params: bound,
        })
    }

    /// The method resource `at` has for `verb` (else its `ANY` method); with no verb, any
    /// method at all, or `usize::MAX` for a resource without methods (used only to tell the
    /// two 403s apart).
    fn method_of(&self, at: usize, verb: Option<HttpMethod>) -> Option<usize> {
        let res = self.resources.get(at)?;
        let Some(verb) = verb else {
            return Some(res.methods.first().map_or(usize::MAX, |(_, id)| *id));
        };
        res.methods
            .iter()
            .find(|(v, _)| *v == verb)
            .or_else(|| res.methods.iter().find(|(v, _)| *v == HttpMethod::Any))
            .map(|(_, id)| *id)
    }

    /// Depth-first search in precedence order over decoded segments for a resource with a
    /// method for `verb`; `bound` collects (name, value). A branch whose resource lacks the
    /// verb counts as a dead end, so a static resource without the verb falls back to a
    /// `{param}` or `{greedy+}` sibling that has it (recorded on AWS: `OPTIONS /test` is
    /// served by `/{proxy+}` when `/test` defines only POST).
    fn walk<'a>(
        &'a self,
        at: usize,
        segs: &[Cow<'_, str>],
        i: usize,
        bound: &mut Vec<(&'a str, String)>,
        verb: Option<HttpMethod>,
    ) -> Option<usize> {
        let res = self.resources.get(at)?;
        let Some(seg) = segs.get(i) else {
            return self.method_of(at, verb);
        };
        if let Some((_, child)) = res.statics.iter().find(|(name, _)| name == seg) {
            if let Some(found) = self.walk(*child, segs, i + 1, bound, verb) {
                return Some(found);
            }
        }
        match &res.variable {
            Some((Segment::Param(name), child)) if !seg.is_empty() => {
                bound.push((name.as_str(), seg.to_string()));
                if let Some(found) = self.walk(*child, segs, i + 1, bound, verb) {
                    return Some(found);
                }
                bound.pop();
                None
            }
            Some((Segment::Greedy(name), child)) => {
                let found = self.method_of(*child, verb)?;
                let rest = segs.get(i..).unwrap_or_default().join("/");
                bound.push((name.as_str(), rest));
                Some(found)
            }
            _ => None,
        }
    }

    /// Every method, grouped by resource in path order.
    pub fn methods(&self) -> impl Iterator<Item = &Method> {
        let mut order: Vec<&Resource> = self.resources.iter().collect();
        order.sort_by(|a, b| a.path.cmp(&b.path));
        order.into_iter().flat_map(move |r| {
            r.methods
                .iter()
                .filter_map(move |(_, id)| self.methods.get(*id))
        })
    }

    /// Every method with its id (the [`RouteMatch::id`] a lookup returns), in id order.
    pub fn indexed_methods(&self) -> impl Iterator<Item = (usize, &Method)> {
        self.methods.iter().enumerate()
    }

    pub fn method_count(&self) -> usize {
        self.methods.len()
    }

    /// The index of the method `verb` of the resource `resource_path` (as written in the
    /// definition, `/pets/{id}`; a trailing `/` is ignored): the method itself, not the
    /// resource's `ANY` method.
    pub fn find(&self, resource_path: &str, verb: HttpMethod) -> Option<usize> {
        let trimmed = match resource_path.strip_suffix('/') {
            Some(t) if !t.is_empty() => t,
            _ => resource_path,
        };
        self.methods
            .iter()
            .position(|m| m.verb == verb && m.resource_path == trimmed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::*;

    fn method(verb: HttpMethod, path: &str) -> Method {
        Method {
            verb,
            resource_path: path.into(),
            pointer: String::new(),
            operation_id: None,
            parameters: vec![],
            authorization: Authorization::None,
            authorization_scopes: vec![],
            api_key_required: false,
            request_validator: None,
            request_models: Vec::new(),
            responses: Default::default(),
            integration: Integration {
                kind: IntegrationType::Mock,
                target: Target::Mock,
                http_method: None,
                credentials: None,
                request_parameters: vec![],
                request_templates: vec![],
                passthrough: Passthrough::WhenNoMatch,
                content_handling: None,
                timeout_ms: 29_000,
                cache_key_parameters: vec![],
                tls_insecure_skip_verification: false,
                responses: vec![],
            },
        }
    }

    fn table(paths: &[(&str, HttpMethod)]) -> RouteTable {
        let mut t = RouteTable::default();
        for (p, v) in paths {
            let segs: Vec<Segment> = p
                .split('/')
                .filter(|s| !s.is_empty())
                .map(Segment::parse)
                .collect();
            let r = t.add_resource(&segs).unwrap();
            t.add_method(r, method(*v, p)).unwrap();
        }
        t
    }

    fn hit(t: &RouteTable, verb: HttpMethod, path: &str) -> (String, Vec<(String, String)>) {
        let m = t.lookup(verb, path).unwrap();
        (
            m.method.resource_path.clone(),
            m.path_params
                .iter()
                .map(|(k, v)| (k.to_string(), v.clone()))
                .collect(),
        )
    }

    #[test]
    fn mys3_shape() {
        use HttpMethod::*;
        let t = table(&[
            ("/", Get),
            ("/{folder}", Get),
            ("/{folder}", Put),
            ("/{folder}/{item}", Get),
            ("/{folder}/{item}", Head),
        ]);
        assert_eq!(hit(&t, Get, "/").0, "/");
        assert_eq!(hit(&t, Get, "").0, "/");
        assert_eq!(
            hit(&t, Put, "/b1/"),
            ("/{folder}".into(), vec![("folder".into(), "b1".into())])
        );
        let (p, params) = hit(&t, Get, "/b1/test%2Ftest.txt");
        assert_eq!(p, "/{folder}/{item}");
        assert_eq!(params[1], ("item".into(), "test/test.txt".into()));
        assert_eq!(t.lookup(Delete, "/b1").unwrap_err(), RouteError::NoMethod);
        assert_eq!(t.lookup(Get, "/a/b/c").unwrap_err(), RouteError::NoResource);
        assert_eq!(t.lookup(Get, "//x").unwrap_err(), RouteError::NoResource);
    }

    #[test]
    fn static_beats_param_beats_greedy_with_backtracking() {
        use HttpMethod::*;
        let t = table(&[
            ("/pets/mine", Get),
            ("/pets/{id}", Get),
            ("/pets/{id}/toys", Get),
            ("/{proxy+}", Any),
        ]);
        assert_eq!(hit(&t, Get, "/pets/mine").0, "/pets/mine");
        assert_eq!(hit(&t, Get, "/pets/7").0, "/pets/{id}");
        assert_eq!(hit(&t, Get, "/pets/7/toys").0, "/pets/{id}/toys");
        // `/pets/mine/toys`: static `mine` has no `toys` child → backtrack to `{id}`.
        assert_eq!(
            hit(&t, Get, "/pets/mine/toys").1,
            vec![("id".into(), "mine".into())]
        );
        // `/pets/7/x`: no branch under `pets` matches → the greedy root catches it.
        assert_eq!(
            hit(&t, Post, "/pets/7/x"),
            (
                "/{proxy+}".into(),
                vec![("proxy".into(), "pets/7/x".into())]
            )
        );
        assert_eq!(
            hit(&t, Get, "/a%20b/c").1,
            vec![("proxy".into(), "a b/c".into())]
        );
    }

    /// Recorded on AWS (LocalStack's `test_proxy_routing_with_hardcoded_resource_sibling`,
    /// validated against AWS): a resource that lacks the verb falls back to a sibling that
    /// has it, `ANY` included.
    #[test]
    fn a_resource_without_the_verb_falls_back_to_a_sibling_that_has_it() {
        use HttpMethod::*;
        let t = table(&[
            ("/test", Post),
            ("/test/any", Any),
            ("/{proxy+}", Options),
            ("/pets/mine", Get),
            ("/pets/{id}", Delete),
        ]);
        assert_eq!(hit(&t, Options, "/test").0, "/{proxy+}");
        assert_eq!(hit(&t, Post, "/test").0, "/test");
        assert_eq!(hit(&t, Options, "/test/any").0, "/test/any");
        assert_eq!(hit(&t, Get, "/test/any").0, "/test/any");
        assert_eq!(
            hit(&t, Delete, "/pets/mine"),
            ("/pets/{id}".into(), vec![("id".into(), "mine".into())])
        );
        // No sibling has it: the resource exists, the method does not.
        assert_eq!(t.lookup(Get, "/test").unwrap_err(), RouteError::NoMethod);
        assert_eq!(
            t.lookup(Put, "/pets/mine").unwrap_err(),
            RouteError::NoMethod
        );
        assert_eq!(t.lookup(Get, "/a/b").unwrap_err(), RouteError::NoMethod);
    }

    #[test]
    fn undecodable_and_dot_segment_paths_are_refused() {
        use HttpMethod::*;
        let t = table(&[("/f/{item}", Get), ("/p/{proxy+}", Get), ("/s/x", Get)]);
        for (path, why) in [
            ("/f/%FF%FE", PathError::NotUtf8),
            ("/f/%80%81", PathError::NotUtf8),
            ("/f/%zz", PathError::MalformedEscape),
            ("/f/..", PathError::DotSegment),
            ("/f/%2e%2E", PathError::DotSegment),
            ("/f/..%2Fadmin", PathError::DotSegment),
            ("/p/a/../../admin", PathError::DotSegment),
            ("/p/./x", PathError::DotSegment),
            ("/s/x/..", PathError::DotSegment),
            // Refused before matching: no resource, yet a 400 rather than a 403.
            ("/nowhere/%FF", PathError::NotUtf8),
        ] {
            assert_eq!(
                t.lookup(Get, path).unwrap_err(),
                RouteError::BadPath(why),
                "{path}"
            );
        }
        assert_eq!(
            hit(&t, Get, "/p/a..b/%E2%82%AC/%25zz").1,
            vec![("proxy".into(), "a..b/€/%zz".into())]
        );
        assert_eq!(
            hit(&t, Get, "/f/.well-known").1,
            vec![("item".into(), ".well-known".into())]
        );
    }

    #[test]
    fn explicit_verb_beats_any() {
        use HttpMethod::*;
        let t = table(&[("/x", Any), ("/x", Get)]);
        assert_eq!(t.lookup(Get, "/x").unwrap().method.verb, Get);
        assert_eq!(t.lookup(Patch, "/x").unwrap().method.verb, Any);
    }

    #[test]
    fn variable_siblings_are_refused() {
        let mut t = RouteTable::default();
        t.add_resource(&[Segment::Param("a".into())]).unwrap();
        assert_eq!(
            t.add_resource(&[Segment::Param("b".into()), Segment::Static("x".into())]),
            Err(InsertError::VariableSibling {
                existing: "/{a}".into()
            })
        );
        assert!(t.add_resource(&[Segment::Greedy("a".into())]).is_err());
    }
}
