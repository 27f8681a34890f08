//! Quota periods on the UTC calendar (docs/PARITY.md: AWS does not document its
//! boundaries): a DAY from midnight, a WEEK from Sunday midnight, a MONTH from the 1st.

use apigate_core::limits::Period;

const DAY: u64 = 86_400;
/// 1970-01-01 was a Thursday: the week that holds it began 4 days earlier.
const THURSDAY: u64 = 4;

/// The period holding `unix_secs`, as a number that grows by one per period.
pub fn index(period: Period, unix_secs: u64) -> u64 {
    let days = unix_secs / DAY;
    match period {
        Period::Day => days,
        Period::Week => (days + THURSDAY) / 7,
        Period::Month => {
            let (y, m, _) = apigate_sigv4::time::civil_from_days(days);
            y * 12 + (m - 1)
        }
    }
}

/// Seconds from `unix_secs` to the end of its period.
pub fn seconds_left(period: Period, unix_secs: u64) -> u64 {
    let days = unix_secs / DAY;
    let end_day = match period {
        Period::Day => days + 1,
        Period::Week => ((days + THURSDAY) / 7 + 1) * 7 - THURSDAY,
        Period::Month => {
            let (y, m, _) = apigate_sigv4::time::civil_from_days(days);
            let (y, m) = if m == 12 { (y + 1, 1) } else { (y, m + 1) };
            days_from_civil(y, m, 1)
        }
    };
    (end_day * DAY).saturating_sub(unix_secs)
}

/// Days since 1970-01-01 of a date (proleptic Gregorian; Howard Hinnant's algorithm).
fn days_from_civil(y: u64, m: u64, d: u64) -> u64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe).saturating_sub(719_468)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 2026-03-14T15:09:26Z, a Saturday.
    const T: u64 = 1_773_500_966;

    #[test]
    fn days_weeks_and_months_on_the_utc_calendar() {
        assert_eq!(seconds_left(Period::Day, T), 8 * 3600 + 50 * 60 + 34);
        assert_eq!(
            index(Period::Day, T + seconds_left(Period::Day, T)),
            index(Period::Day, T) + 1
        );
        // Saturday afternoon: the week ends at Sunday 00:00, 8h50m34s away.
        assert_eq!(seconds_left(Period::Week, T), 8 * 3600 + 50 * 60 + 34);
        let sunday = T + seconds_left(Period::Week, T);
        assert_eq!(index(Period::Week, sunday), index(Period::Week, T) + 1);
        assert_eq!(
            index(Period::Week, sunday + 6 * DAY),
            index(Period::Week, sunday)
        );
        assert_eq!(seconds_left(Period::Week, sunday), 7 * DAY);
        // March has 31 days: April 1st is 17 days and the rest of today away.
        assert_eq!(
            seconds_left(Period::Month, T),
            17 * DAY + seconds_left(Period::Day, T)
        );
        assert_eq!(index(Period::Month, T), 2026 * 12 + 2);
        // December rolls into the next year.
        let dec31 = days_from_civil(2026, 12, 31) * DAY;
        assert_eq!(seconds_left(Period::Month, dec31), DAY);
        assert_eq!(index(Period::Month, dec31 + DAY), 2027 * 12);
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2024, 3, 1), 19_783);
    }
}
