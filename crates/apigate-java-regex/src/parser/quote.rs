//! The `\Q…\E` pre-pass, done before parsing as in Java.

/// Java's `RemoveQEQuoting()`: `\Q…\E` becomes escaped chars before parsing. Returns the new
/// chars and, for each, its offset in the original pattern.
pub(super) fn remove_qe_quoting(chars: &[char]) -> (Vec<char>, Vec<usize>) {
    let plen = chars.len();
    let mut i = 0;
    while i + 1 < plen {
        match (chars.get(i), chars.get(i + 1)) {
            (Some('\\'), Some('Q')) => break,
            (Some('\\'), _) => i += 2,
            _ => i += 1,
        }
    }
    if i + 1 >= plen {
        return (chars.to_vec(), (0..plen).collect());
    }
    let mut out: Vec<char> = chars.get(..i).unwrap_or(&[]).to_vec();
    let mut origin: Vec<usize> = (0..i).collect();
    let mut push = |c: char, at: usize| {
        out.push(c);
        origin.push(at);
    };
    i += 2;
    let mut in_quote = true;
    let mut begin_quote = true;
    while let Some(&c) = chars.get(i) {
        let at = i;
        i += 1;
        if !c.is_ascii() || c.is_ascii_alphabetic() {
            push(c, at);
        } else if c.is_ascii_digit() {
            if begin_quote {
                // Keeps a digit from extending an escape before the quote (`\0\Q1\E`).
                push('\\', at);
                push('x', at);
                push('3', at);
            }
            push(c, at);
        } else if c != '\\' {
            if in_quote {
                push('\\', at);
            }
            push(c, at);
        } else if in_quote {
            if chars.get(i) == Some(&'E') {
                i += 1;
                in_quote = false;
            } else {
                push('\\', at);
                push('\\', at);
            }
        } else if chars.get(i) == Some(&'Q') {
            i += 1;
            in_quote = true;
            begin_quote = true;
            continue;
        } else {
            push(c, at);
            if let Some(&n) = chars.get(i) {
                push(n, i);
                i += 1;
            }
        }
        begin_quote = false;
    }
    (out, origin)
}
