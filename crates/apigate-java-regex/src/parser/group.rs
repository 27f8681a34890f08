//! Groups and inline flags: Java's `group0()`, `groupname()`, `addFlag()` and `subFlag()`.

use super::{PResult, Parser};
use crate::flags::{
    CANON_EQ, CASE_INSENSITIVE, COMMENTS, DOTALL, MULTILINE, UNICODE_CASE, UNICODE_CHARACTER_CLASS,
    UNIX_LINES,
};
use crate::node::Node;

impl Parser {
    /// Java's `group0()`: a group and its quantifier, or `None` for a flags-only `(?i)`.
    pub(super) fn group0(&mut self) -> PResult<Option<Node>> {
        let start = self.cursor;
        self.enter(start)?;
        let save = self.flags;
        let open;
        let mut ch = self.next();
        if ch == '?' {
            ch = self.skip();
            match ch {
                ':' => open = "(?:".to_string(),
                '=' | '!' => {
                    let what = if ch == '=' {
                        "lookahead `(?=`"
                    } else {
                        "negative lookahead `(?!`"
                    };
                    self.unsupported(what, start);
                    open = "(?:".to_string();
                }
                '>' => {
                    self.unsupported("atomic group `(?>`", start);
                    open = "(?:".to_string();
                }
                '<' => {
                    ch = self.read();
                    if ch != '=' && ch != '!' {
                        let name = self.groupname(ch)?;
                        if self.names.contains(&name) {
                            return Err(self.error(format!(
                                "Named capturing group <{name}> is already defined"
                            )));
                        }
                        self.capturing += 1;
                        open = format!("(?P<{name}>");
                        self.names.insert(name);
                    } else {
                        let what = if ch == '=' {
                            "lookbehind `(?<=`"
                        } else {
                            "negative lookbehind `(?<!`"
                        };
                        self.unsupported(what, start);
                        open = "(?:".to_string();
                    }
                }
                '$' | '@' => return Err(self.error("Unknown group type")),
                _ => {
                    self.unread();
                    self.add_flag();
                    if self.has(CANON_EQ) && save & CANON_EQ == 0 {
                        self.unsupported("inline flag `c` (CANON_EQ)", start);
                    }
                    ch = self.read();
                    if ch == ')' {
                        self.leave();
                        return Ok(None);
                    }
                    if ch != ':' {
                        return Err(self.error("Unknown inline modifier"));
                    }
                    open = "(?:".to_string();
                }
            }
        } else {
            self.capturing += 1;
            open = "(".to_string();
        }
        let body = self.expr()?;
        self.accept(')', "Unclosed group")?;
        self.flags = save;
        let group = Node::Group {
            open,
            body: Box::new(body),
        };
        let node = self.closure(group)?;
        self.leave();
        Ok(Some(node))
    }

    pub(super) fn groupname(&mut self, mut ch: char) -> PResult<String> {
        if !ch.is_ascii_alphabetic() {
            return Err(self.error("capturing group name does not start with a Latin letter"));
        }
        let mut name = String::new();
        loop {
            name.push(ch);
            ch = self.read();
            if !ch.is_ascii_alphanumeric() {
                break;
            }
        }
        if ch != '>' {
            return Err(self.error("named capturing group is missing trailing '>'"));
        }
        Ok(name)
    }

    fn add_flag(&mut self) {
        let mut ch = self.peek();
        loop {
            match ch {
                'i' => self.flags |= CASE_INSENSITIVE,
                'm' => self.flags |= MULTILINE,
                's' => self.flags |= DOTALL,
                'd' => self.flags |= UNIX_LINES,
                'u' => self.flags |= UNICODE_CASE,
                'c' => self.flags |= CANON_EQ,
                'x' => self.flags |= COMMENTS,
                'U' => self.flags |= UNICODE_CHARACTER_CLASS | UNICODE_CASE,
                '-' => {
                    self.next();
                    self.sub_flag();
                    return;
                }
                _ => return,
            }
            ch = self.next();
        }
    }

    fn sub_flag(&mut self) {
        let mut ch = self.peek();
        loop {
            match ch {
                'i' => self.flags &= !CASE_INSENSITIVE,
                'm' => self.flags &= !MULTILINE,
                's' => self.flags &= !DOTALL,
                'd' => self.flags &= !UNIX_LINES,
                'u' => self.flags &= !UNICODE_CASE,
                'c' => self.flags &= !CANON_EQ,
                'x' => self.flags &= !COMMENTS,
                'U' => self.flags &= !(UNICODE_CHARACTER_CLASS | UNICODE_CASE),
                _ => return,
            }
            ch = self.next();
        }
    }
}
