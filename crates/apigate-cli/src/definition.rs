//! Reading and loading one definition file, and printing its diagnostics: the one path every
//! command that takes a definition (`validate`, `routes`, `serve`, `test-invoke`) goes
//! through, so a file reads, fails and reports the same way whichever command is run.

use std::io::Write;
use std::path::Path;

use apigate_core::{Api, Diagnostic, LoadOptions, Loaded};

use crate::gateway_setup::{fail, Failure};

/// A definition file read and loaded.
#[derive(Debug)]
pub struct Definition {
    /// The file as the user named it (the `FILE` of every diagnostic line).
    pub name: String,
    pub loaded: Loaded,
}

/// Reads and loads `path`. The error (unreadable, not UTF-8) is worded for the user.
pub fn load(path: &Path, options: &LoadOptions) -> Result<Definition, String> {
    let text = read(path)?;
    let name = path.display().to_string();
    let loaded = apigate_core::load(&name, &text, options);
    Ok(Definition { name, loaded })
}

/// Loads `path` for a command that runs it (`routes`, `serve`, `test-invoke`): every
/// diagnostic goes to stderr as `validate` prints it; errors stop the command (exit 1), an
/// unreadable file too (exit 2). Returns the API and its warning count.
pub fn load_api(path: &Path, options: &LoadOptions) -> Result<(Api, usize), Failure> {
    let Definition { name, loaded } = load(path, options).map_err(|msg| fail(2, msg))?;
    write_text(
        &mut std::io::stderr().lock(),
        &name,
        loaded.diagnostics.iter(),
    );
    let errors = loaded.diagnostics.error_count();
    match loaded.api {
        Some(api) if errors == 0 => Ok((api, loaded.diagnostics.warning_count())),
        _ => Err(fail(
            1,
            format!("{name} has {errors} error(s); fix them first (apigate validate {name})"),
        )),
    }
}

/// Loads the `bytes` read from `path` (a reload compares them with the last ones first).
pub fn load_bytes(
    path: &Path,
    bytes: Vec<u8>,
    options: &LoadOptions,
) -> Result<Definition, String> {
    let text = text(path, bytes)?;
    let name = path.display().to_string();
    let loaded = apigate_core::load(&name, &text, options);
    Ok(Definition { name, loaded })
}

/// Reads a definition file's bytes; the error is already worded for the user.
pub fn read_bytes(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))
}

/// Reads a definition (or config) file; the error is already worded for the user.
pub fn read(path: &Path) -> Result<String, String> {
    text(path, read_bytes(path)?)
}

fn text(path: &Path, bytes: Vec<u8>) -> Result<String, String> {
    String::from_utf8(bytes).map_err(|e| {
        format!(
            "{}: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            e.utf8_error().valid_up_to()
        )
    })
}

/// Writes `diagnostics` of `file` as text: one [`text_line`] each, its hint (if any) on the
/// next line. `validate` writes them to stdout; the other commands to stderr.
pub fn write_text<'a>(
    out: &mut impl Write,
    file: &str,
    diagnostics: impl IntoIterator<Item = &'a Diagnostic>,
) {
    for d in diagnostics {
        let _ = writeln!(out, "{}", text_line(file, d));
        if let Some(h) = &d.hint {
            let _ = writeln!(out, "  hint: {h}");
        }
    }
}

/// `FILE:LINE:COL: error[RULE]: message (at /pointer)`; a problem of the whole document
/// reads `(at the document root)`.
pub fn text_line(file: &str, d: &Diagnostic) -> String {
    let at = if d.pointer.is_empty() {
        String::from("(at the document root)")
    } else {
        format!("(at {})", d.pointer)
    };
    format!(
        "{file}:{}:{}: {}[{}]: {} {at}",
        d.pos.line,
        d.pos.col,
        d.severity.as_str(),
        d.rule,
        d.message
    )
}
