//! Character classes: Java's `clazz()` and `range()`, building a `CharPredicate`-like tree
//! that is rendered as one `regex` class once the whole class is parsed.

use super::{Esc, PResult, Parser};
use crate::flags::{range_mask, ALL, CASE_INSENSITIVE, UNICODE_CASE};
use crate::literal::{ascii_lower, ascii_upper, push_range, NEVER};
use crate::node::Node;
use crate::{JavaRegexError, MAX_DEPTH, MAX_TRANSLATED_LEN};

/// A Java `CharPredicate` under construction. Java's `BitClass` is mutable and shared by
/// reference (chars added after an `&&` still count on its left side), so bit sets are kept by
/// id and rendered only once the whole class is parsed.
#[derive(Debug, Clone)]
pub(super) enum Pred {
    Bits(usize),
    /// A complete `regex` class expression (`[…]`, `\p{…}`), the terminators it matches,
    /// and whether it lists chars (which `(?iu)` folds) rather than a predefined class.
    Set {
        re: String,
        mask: u8,
        chars: bool,
    },
    Union(Vec<Pred>, usize),
    And(Box<Pred>, Box<Pred>, usize),
    Not(Box<Pred>, usize),
}

impl Pred {
    pub(super) fn set(re: &str, mask: u8) -> Pred {
        Pred::Set {
            re: re.to_string(),
            mask,
            chars: false,
        }
    }

    fn depth(&self) -> usize {
        match self {
            Pred::Bits(_) | Pred::Set { .. } => 0,
            Pred::Union(_, d) | Pred::And(_, _, d) | Pred::Not(_, d) => *d,
        }
    }
}

/// A set of chars below 256 (Java's `BitClass`).
#[derive(Debug, Default)]
pub(super) struct Bits(Vec<u32>);

impl Parser {
    /// A finished class as a leaf, under the current case flags.
    pub(super) fn class_leaf(&self, p: &Pred) -> PResult<Node> {
        let mut re = String::new();
        let mask = self.render(p, &mut re);
        if re.len() > MAX_TRANSLATED_LEN {
            return Err(JavaRegexError::Unsupported {
                construct: "a character class too large to translate".into(),
                offset: 0,
            });
        }
        // Java folds the listed chars, not predefined classes; the `regex` crate can only fold
        // the whole class, which is still closer than not folding at all.
        if self.has(CASE_INSENSITIVE) && self.has(UNICODE_CASE) && self.lists_chars(p) {
            re = format!("(?i:{re})");
        }
        Ok(Node::Leaf { re, mask })
    }

    fn lists_chars(&self, p: &Pred) -> bool {
        match p {
            Pred::Bits(id) => self.bits.get(*id).is_some_and(|b| !b.0.is_empty()),
            Pred::Set { chars, .. } => *chars,
            Pred::Union(items, _) => items.iter().any(|i| self.lists_chars(i)),
            Pred::And(a, b, _) => self.lists_chars(a) || self.lists_chars(b),
            Pred::Not(a, _) => self.lists_chars(a),
        }
    }

    fn new_bits(&mut self) -> usize {
        self.bits.push(Bits::default());
        self.bits.len() - 1
    }

    fn add_bit(&mut self, id: usize, c: u32) {
        let ci = self.has(CASE_INSENSITIVE) && !self.has(UNICODE_CASE);
        if let Some(b) = self.bits.get_mut(id) {
            if ci && c < 128 {
                b.0.push(ascii_upper(c));
                b.0.push(ascii_lower(c));
            }
            b.0.push(c);
        }
    }

    fn union(&self, a: Option<Pred>, b: Pred) -> PResult<Pred> {
        Ok(match a {
            None => b,
            Some(Pred::Union(mut items, d)) => {
                let d = d.max(b.depth() + 1);
                self.check_depth(d)?;
                items.push(b);
                Pred::Union(items, d)
            }
            Some(a) => {
                let d = a.depth().max(b.depth()) + 1;
                self.check_depth(d)?;
                Pred::Union(vec![a, b], d)
            }
        })
    }

    fn and(&self, a: Pred, b: Pred) -> PResult<Pred> {
        let d = a.depth().max(b.depth()) + 1;
        self.check_depth(d)?;
        Ok(Pred::And(Box::new(a), Box::new(b), d))
    }

    fn check_depth(&self, d: usize) -> PResult<()> {
        if d > MAX_DEPTH {
            return Err(JavaRegexError::Unsupported {
                construct: format!("a character class nested more than {MAX_DEPTH} deep"),
                offset: self.offset(self.cursor),
            });
        }
        Ok(())
    }

    /// Java's `clazz()`; the cursor is just before the class's first char. Consumes the
    /// closing `]` only if `consume` (not for the implicit class right of `&&`).
    pub(super) fn clazz(&mut self, consume: bool) -> PResult<Pred> {
        let start = self.cursor;
        self.enter(start)?;
        let bits = self.new_bits();
        let mut prev: Option<Pred> = None;
        let mut curr: Option<Pred> = None;
        let mut is_neg = false;
        let mut has_bits = false;
        let mut ch = self.next();
        if ch == '^' && self.at(self.cursor.saturating_sub(1)) == '[' {
            ch = self.next();
            is_neg = true;
        }
        loop {
            match ch {
                '[' => {
                    let c = self.clazz(true)?;
                    curr = Some(c.clone());
                    prev = Some(self.union(prev, c)?);
                    ch = self.peek();
                    continue;
                }
                '&' => {
                    ch = self.next();
                    if ch == '&' {
                        ch = self.next();
                        let mut right: Option<Pred> = None;
                        while ch != ']' && ch != '&' {
                            let c = if ch == '[' {
                                self.clazz(true)?
                            } else {
                                self.unread();
                                self.clazz(false)?
                            };
                            right = Some(self.union(right, c)?);
                            ch = self.peek();
                        }
                        if has_bits {
                            match prev {
                                None => {
                                    prev = Some(Pred::Bits(bits));
                                    curr = Some(Pred::Bits(bits));
                                }
                                Some(p) => prev = Some(self.union(Some(p), Pred::Bits(bits))?),
                            }
                            has_bits = false;
                        }
                        if right.is_some() {
                            curr.clone_from(&right);
                        }
                        prev = match (prev, right) {
                            (None, None) => return Err(self.error("Bad class syntax")),
                            (None, Some(r)) => Some(r),
                            (Some(p), _) => match curr.clone() {
                                None => return Err(self.error("Bad intersection syntax")),
                                Some(c) => Some(self.and(p, c)?),
                            },
                        };
                        continue;
                    }
                    // A lone `&` is a literal.
                    self.unread();
                }
                '\0' if self.cursor >= self.len => {
                    return Err(self.error("Unclosed character class"));
                }
                ']' if prev.is_some() || has_bits => {
                    if consume {
                        self.next();
                    }
                    let mut p = match prev {
                        None => Pred::Bits(bits),
                        Some(p) if has_bits => self.union(Some(p), Pred::Bits(bits))?,
                        Some(p) => p,
                    };
                    if is_neg {
                        let d = p.depth() + 1;
                        self.check_depth(d)?;
                        p = Pred::Not(Box::new(p), d);
                    }
                    self.leave();
                    return Ok(p);
                }
                _ => {}
            }
            let before = self.cursor;
            curr = self.range(bits)?;
            match &curr {
                None => has_bits = true,
                Some(c) => prev = Some(self.union(prev, c.clone())?),
            }
            ch = self.peek();
            if self.cursor <= before {
                return Err(self.error("Unexpected internal error"));
            }
        }
    }

    /// Java's `range()`: one class member or range. `None` means it went into the bit set.
    fn range(&mut self, bits: usize) -> PResult<Option<Pred>> {
        let mut ch = u32::from(self.peek());
        if ch == u32::from('\\') {
            let e = self.next_escaped();
            if e == 'p' || e == 'P' {
                return self.property_family(e == 'P').map(Some);
            }
            let isrange = self.at(self.cursor + 1) == '-';
            self.unread();
            match self.escape(true, isrange)? {
                Esc::Char(c) => ch = c,
                Esc::Set(p) => return Ok(Some(p)),
                Esc::Node(_) => return Err(self.error("Illegal/unsupported escape sequence")),
            }
        } else {
            self.next();
        }
        if self.peek() == '-' {
            let end = self.at(self.cursor + 1);
            if end == '[' {
                return Ok(self.bits_or_single(bits, ch));
            }
            if end != ']' {
                self.next();
                let m = if self.peek() == '\\' {
                    match self.escape(true, true)? {
                        Esc::Char(c) => Some(c),
                        _ => None,
                    }
                } else {
                    let c = self.peek();
                    self.next();
                    Some(u32::from(c))
                };
                let m = match m {
                    Some(m) if m >= ch => m,
                    _ => return Err(self.error("Illegal character range")),
                };
                return Ok(Some(self.char_range(ch, m)));
            }
        }
        Ok(self.bits_or_single(bits, ch))
    }

    fn bits_or_single(&mut self, bits: usize, c: u32) -> Option<Pred> {
        if c < 256 {
            self.add_bit(bits, c);
            return None;
        }
        let mut re = String::from("[");
        push_range(c, c, &mut re);
        re.push(']');
        if re == "[]" {
            return Some(Pred::set(NEVER, 0));
        }
        Some(Pred::Set {
            re,
            mask: range_mask(c, c),
            chars: true,
        })
    }

    fn char_range(&self, lo: u32, hi: u32) -> Pred {
        let mut re = String::from("[");
        push_range(lo, hi, &mut re);
        if self.has(CASE_INSENSITIVE) && !self.has(UNICODE_CASE) {
            // Java's CIRange: ASCII letters whose other case is in the range.
            let (a, z) = (u32::from(b'a'), u32::from(b'z'));
            let (ua, uz) = (u32::from(b'A'), u32::from(b'Z'));
            let (l0, l1) = (lo.max(a), hi.min(z));
            if l0 <= l1 {
                push_range(l0 - 0x20, l1 - 0x20, &mut re);
            }
            let (u0, u1) = (lo.max(ua), hi.min(uz));
            if u0 <= u1 {
                push_range(u0 + 0x20, u1 + 0x20, &mut re);
            }
        }
        re.push(']');
        if re == "[]" {
            return Pred::set(NEVER, 0);
        }
        Pred::Set {
            re,
            mask: range_mask(lo, hi),
            chars: true,
        }
    }

    /// Writes `p` as a complete `regex` class expression; returns the terminators it matches.
    fn render(&self, p: &Pred, out: &mut String) -> u8 {
        match p {
            Pred::Bits(_) | Pred::Union(..) => {
                out.push('[');
                let mask = self.render_members(p, out);
                out.push(']');
                mask
            }
            Pred::Set { re, mask, .. } => {
                out.push_str(re);
                *mask
            }
            Pred::And(a, b, _) => {
                out.push('[');
                let ma = self.render(a, out);
                out.push_str("&&");
                let mb = self.render(b, out);
                out.push(']');
                ma & mb
            }
            Pred::Not(a, _) => {
                if let Pred::Set { re, mask, .. } = a.as_ref() {
                    if let Some(name) = re.strip_prefix(r"\p{") {
                        out.push_str(r"\P{");
                        out.push_str(name);
                        return ALL & !mask;
                    }
                    if let Some(members) = re.strip_prefix('[').filter(|m| !m.starts_with('^')) {
                        out.push_str("[^");
                        out.push_str(members);
                        return ALL & !mask;
                    }
                }
                out.push_str("[^");
                let m = self.render_members(a, out);
                out.push(']');
                ALL & !m
            }
        }
    }

    /// Writes `p` as members of an enclosing class (never empty).
    fn render_members(&self, p: &Pred, out: &mut String) -> u8 {
        match p {
            Pred::Bits(id) => {
                let mut chars = self.bits.get(*id).map(|b| b.0.clone()).unwrap_or_default();
                chars.sort_unstable();
                chars.dedup();
                if chars.is_empty() {
                    out.push_str(NEVER);
                    return 0;
                }
                let mut mask = 0;
                let mut i = 0;
                while let Some(&lo) = chars.get(i) {
                    let mut hi = lo;
                    while chars.get(i + 1) == Some(&(hi + 1)) {
                        hi += 1;
                        i += 1;
                    }
                    push_range(lo, hi, out);
                    mask |= range_mask(lo, hi);
                    i += 1;
                }
                mask
            }
            Pred::Union(items, _) => items
                .iter()
                .fold(0, |m, item| m | self.render_members(item, out)),
            Pred::Set { re, mask, .. } => {
                // A plain `[…]` (never one with a top-level `&&`) can lose its brackets.
                match re.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
                    Some(members) if !members.starts_with('^') && !members.is_empty() => {
                        out.push_str(members)
                    }
                    _ => out.push_str(re),
                }
                *mask
            }
            Pred::And(..) | Pred::Not(..) => self.render(p, out),
        }
    }
}
