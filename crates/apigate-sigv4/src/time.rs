//! The one date implementation: AMZ dates (`YYYYMMDDTHHMMSSZ`), civil dates from days
//! since the epoch and back, the `Date` header's IMF-fixdate, and the clock checks (the
//! five-minute skew and a presigned URL's `X-Amz-Expires`).

use std::time::{SystemTime, UNIX_EPOCH};

use crate::failure::AuthFailure;

/// How far a header-signed request's date may be from now, either way.
pub const MAX_SKEW_SECS: u64 = 5 * 60;
/// The longest a presigned URL may live (seven days), as AWS enforces.
pub const MAX_EXPIRES_SECS: u64 = 7 * 24 * 60 * 60;

/// Seconds since the Unix epoch of `time` (0 before it).
pub fn epoch_secs(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs())
}

/// Days since 1970-01-01 → (year, month 1–12, day 1–31), proleptic Gregorian.
pub fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let doe = z % 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + u64::from(m <= 2);
    (y, m, d)
}

/// Days since 1970-01-01 of a proleptic Gregorian date.
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month_from_march = i64::from((month + 9) % 12);
    let day_of_year = (153 * month_from_march + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `x-amz-date` (`YYYYMMDDTHHMMSSZ`) of an instant, in UTC, without allocating. Years past
/// 9999 keep their last four digits (every date a request can carry is earlier).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AmzDate([u8; 16]);

impl AmzDate {
    /// The AMZ date of `time`.
    pub fn at(time: SystemTime) -> AmzDate {
        AmzDate::from_secs(epoch_secs(time))
    }

    /// The AMZ date `secs` after the epoch.
    pub fn from_secs(secs: u64) -> AmzDate {
        let of_day = secs % 86_400;
        let (year, month, day) = civil_from_days(secs / 86_400);
        let mut out = *b"00000000T000000Z";
        let fields: [(usize, usize, u64); 6] = [
            (0, 4, year),
            (4, 2, month),
            (6, 2, day),
            (9, 2, of_day / 3600),
            (11, 2, of_day / 60 % 60),
            (13, 2, of_day % 60),
        ];
        for (at, width, mut value) in fields {
            for slot in out.iter_mut().skip(at).take(width).rev() {
                // A digit: `value % 10` is below 10.
                *slot = b'0' + (value % 10) as u8;
                value /= 10;
            }
        }
        AmzDate(out)
    }

    /// `YYYYMMDDTHHMMSSZ`.
    pub fn as_str(&self) -> &str {
        // ASCII digits, `T` and `Z`.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }

    /// `YYYYMMDD`, the credential scope's date.
    pub fn date(&self) -> &str {
        self.as_str().get(..8).unwrap_or_default()
    }
}

/// `YYYYMMDDTHHMMSSZ` of `secs` since the epoch, with every digit of a year past 9999 (for
/// messages about an arbitrary `now`).
pub fn format_iso(secs: u64) -> String {
    let rest = secs % 86_400;
    let (year, month, day) = civil_from_days(secs / 86_400);
    format!(
        "{year:04}{month:02}{day:02}T{:02}{:02}{:02}Z",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// A request date, as seconds since the Unix epoch and as `YYYYMMDDTHHMMSSZ`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Timestamp {
    pub secs: u64,
    pub iso: AmzDate,
}

/// Parses the request date: `YYYYMMDDTHHMMSSZ`, or (from a `Date` header) an
/// IMF-fixdate such as `Sun, 30 Aug 2015 12:36:00 GMT`, which is then signed
/// in the ISO form.
pub fn parse_request_date(value: &str) -> Option<Timestamp> {
    let value = value.trim();
    let secs = parse_iso_basic(value).or_else(|| parse_http_date(value))?;
    Some(Timestamp {
        secs,
        iso: AmzDate::from_secs(secs),
    })
}

fn parse_iso_basic(value: &str) -> Option<u64> {
    let bytes = value.as_bytes();
    if bytes.len() != 16 || bytes.get(8) != Some(&b'T') || bytes.get(15) != Some(&b'Z') {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<u32> {
        let digits = value.get(range)?;
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.parse().ok()
    };
    to_epoch(
        number(0..4)?,
        number(4..6)?,
        number(6..8)?,
        number(9..11)?,
        number(11..13)?,
        number(13..15)?,
    )
}

fn parse_http_date(value: &str) -> Option<u64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let mut fields = value.split_ascii_whitespace();
    let weekday = fields.next()?;
    let day = fields.next()?;
    let month = fields.next()?;
    let year = fields.next()?;
    let time = fields.next()?;
    if fields.next()? != "GMT" || fields.next().is_some() || !weekday.ends_with(',') {
        return None;
    }
    let digits = |s: &str, len: usize| -> Option<u32> {
        if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
            s.parse().ok()
        } else {
            None
        }
    };
    let month = MONTHS.iter().position(|m| *m == month)?;
    let month = u32::try_from(month).ok()? + 1;
    let mut clock = time.split(':');
    let hour = digits(clock.next()?, 2)?;
    let minute = digits(clock.next()?, 2)?;
    let second = digits(clock.next()?, 2)?;
    if clock.next().is_some() {
        return None;
    }
    to_epoch(
        digits(year, 4)?,
        month,
        digits(day, 2)?,
        hour,
        minute,
        second,
    )
}

fn to_epoch(year: u32, month: u32, day: u32, hour: u32, minute: u32, second: u32) -> Option<u64> {
    if year < 1970 || !(1..=12).contains(&month) || hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let leap = (year.is_multiple_of(4) && !year.is_multiple_of(100)) || year.is_multiple_of(400);
    let month_days = match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    };
    if day == 0 || day > month_days {
        return None;
    }
    let days = days_from_civil(i64::from(year), month, day);
    let secs = days * 86_400 + i64::from(hour * 3600 + minute * 60 + second);
    u64::try_from(secs).ok()
}

/// The request date against `now`: never more than five minutes ahead; for a header
/// signature (`expires_secs` `None`) at most five minutes behind, for a presigned URL at
/// most `X-Amz-Expires` seconds behind.
pub fn check(
    signed: &Timestamp,
    expires_secs: Option<u64>,
    now: SystemTime,
) -> Result<(), AuthFailure> {
    let now = epoch_secs(now);
    let late_bound = now.saturating_add(MAX_SKEW_SECS);
    if signed.secs > late_bound {
        return Err(AuthFailure::Expired(format!(
            "Signature not yet current: {} is still later than {} ({} + 5 min.)",
            signed.iso.as_str(),
            format_iso(late_bound),
            format_iso(now)
        )));
    }
    let early_bound = now.saturating_sub(expires_secs.unwrap_or(MAX_SKEW_SECS));
    if signed.secs < early_bound {
        let window = match expires_secs {
            None => "5 min.".to_owned(),
            Some(expires_secs) => format!("{expires_secs} sec."),
        };
        return Err(AuthFailure::Expired(format!(
            "Signature expired: {} is now earlier than {} ({} - {window})",
            signed.iso.as_str(),
            format_iso(early_bound),
            format_iso(now)
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    /// 2015-08-30T12:36:00Z, the date of AWS's published examples.
    const SUITE_SECS: u64 = 1_440_938_160;
    const SUITE_DATE: &str = "20150830T123600Z";
    /// 2024-05-01T10:20:30Z.
    const T0: u64 = 1_714_558_830;
    const T0_ISO: &str = "20240501T102030Z";

    #[test]
    fn dates_parse_and_format() {
        assert_eq!(parse_iso_basic(SUITE_DATE), Some(SUITE_SECS));
        assert_eq!(parse_iso_basic(T0_ISO), Some(T0));
        assert_eq!(parse_iso_basic("19700101T000000Z"), Some(0));
        assert_eq!(parse_iso_basic("20240229T235959Z"), Some(1_709_251_199));
        for bad in [
            "20230229T000000Z",
            "20241301T000000Z",
            "20240100T000000Z",
            "20240101T240000Z",
            "20240101T006000Z",
            "20240101T000060Z",
            "19691231T235959Z",
            "2024010T1000000Z",
            "20240101 000000Z",
            "+2024101T000000Z",
            "20240101T000000z",
            "",
        ] {
            assert_eq!(parse_iso_basic(bad), None, "{bad}");
        }
        assert_eq!(
            parse_http_date("Sun, 30 Aug 2015 12:36:00 GMT"),
            Some(SUITE_SECS)
        );
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36:00 UTC"), None);
        assert_eq!(parse_http_date("Sunday, 30-Aug-15 12:36:00 GMT"), None);
        assert_eq!(parse_http_date("Sun, 30 Aug 2015 12:36 GMT"), None);
        for secs in [
            0,
            SUITE_SECS,
            T0,
            951_782_400,
            4_107_542_399,
            253_402_300_799,
        ] {
            let iso = format_iso(secs);
            assert_eq!(parse_iso_basic(&iso), Some(secs), "{iso}");
            assert_eq!(AmzDate::from_secs(secs).as_str(), iso);
        }
        assert_eq!(format_iso(951_782_400), "20000229T000000Z");
        assert_eq!(format_iso(253_402_300_799), "99991231T235959Z");
    }

    #[test]
    fn dates_are_utc_civil_dates() {
        let at = |secs: u64| {
            AmzDate::at(UNIX_EPOCH + Duration::from_secs(secs))
                .as_str()
                .to_owned()
        };
        assert_eq!(at(0), "19700101T000000Z");
        assert_eq!(at(951_782_400), "20000229T000000Z");
        assert_eq!(at(1_700_000_000), "20231114T221320Z");
        assert_eq!(at(4_102_444_799), "20991231T235959Z");
        assert_eq!(AmzDate::from_secs(1_700_000_000).date(), "20231114");
    }

    #[test]
    fn civil_dates_round_trip() {
        for days in [0, 59, 365, 10_957, 11_016, 19_783, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            let back = days_from_civil(
                i64::try_from(y).unwrap(),
                u32::try_from(m).unwrap(),
                u32::try_from(d).unwrap(),
            );
            assert_eq!(back, i64::try_from(days).unwrap(), "{y}-{m}-{d}");
        }
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }
}
