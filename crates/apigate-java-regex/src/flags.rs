//! `java.util.regex.Pattern`'s flag values, and the Java line terminators as a bit set: what
//! a pattern piece can match of them decides whether anchors and `\R` translate exactly.

// `java.util.regex.Pattern` flag values.
pub(crate) const UNIX_LINES: u32 = 0x01;
pub(crate) const CASE_INSENSITIVE: u32 = 0x02;
pub(crate) const COMMENTS: u32 = 0x04;
pub(crate) const MULTILINE: u32 = 0x08;
pub(crate) const DOTALL: u32 = 0x20;
pub(crate) const UNICODE_CASE: u32 = 0x40;
pub(crate) const CANON_EQ: u32 = 0x80;
pub(crate) const UNICODE_CHARACTER_CLASS: u32 = 0x100;

// Which Java line terminators a pattern piece can match, as a bit set.
pub(crate) const LF: u8 = 1;
pub(crate) const CR: u8 = 2;
pub(crate) const NEL: u8 = 4;
pub(crate) const LS: u8 = 8;
pub(crate) const PS: u8 = 16;
pub(crate) const CC: u8 = LF | CR | NEL;
pub(crate) const ALL: u8 = LF | CR | NEL | LS | PS;
pub(crate) const TERMINATORS: [(u32, u8); 5] = [
    (0x0A, LF),
    (0x0D, CR),
    (0x85, NEL),
    (0x2028, LS),
    (0x2029, PS),
];

pub(crate) fn range_mask(lo: u32, hi: u32) -> u8 {
    TERMINATORS
        .iter()
        .filter(|(c, _)| (lo..=hi).contains(c))
        .fold(0, |m, (_, b)| m | b)
}
