//! Wall-clock time as RFC 3339 text, the portable timestamp of our store.

use std::time::{SystemTime, UNIX_EPOCH};

pub fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    rfc3339(secs as i64)
}

pub fn rfc3339(unix: i64) -> String {
    let days = unix.div_euclid(86_400);
    let rem = unix.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0)
}

/// German local time ("25.11.2026, 21:00"): CET, or CEST from the last Sunday
/// of March to the last Sunday of October, switching at 01:00 UTC (EU rule).
pub fn german_datetime(unix: i64) -> String {
    let local = german_local(unix);
    let (y, m, d) = civil_from_days(local.div_euclid(86_400));
    let rem = local.rem_euclid(86_400);
    format!(
        "{d:02}.{m:02}.{y}, {:02}:{:02}",
        rem / 3600,
        rem % 3600 / 60
    )
}

/// The German calendar day of an instant, as YYYY-MM-DD.
pub fn german_day(unix: i64) -> String {
    let (y, m, d) = civil_from_days(german_local(unix).div_euclid(86_400));
    format!("{y:04}-{m:02}-{d:02}")
}

/// Today's German calendar day as a number (days since 1970-01-01).
pub fn german_local_day() -> i64 {
    german_local(now_unix()).div_euclid(86_400)
}

/// Seconds since the epoch on German wall clocks.
fn german_local(unix: i64) -> i64 {
    let (y, _, _) = civil_from_days(unix.div_euclid(86_400));
    let summer = unix >= last_sunday_0100_utc(y, 3) && unix < last_sunday_0100_utc(y, 10);
    unix + if summer { 7200 } else { 3600 }
}

fn last_sunday_0100_utc(year: i64, month: u32) -> i64 {
    // The 31st exists in March and October; 1970-01-01 was a Thursday.
    let day31 = days_from_civil(year, month, 31);
    let weekday = (day31 + 4).rem_euclid(7); // 0 = Sunday
    (day31 - weekday) * 86_400 + 3600
}

fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = if m > 2 { m - 3 } else { m + 9 } as i64;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

// Howard Hinnant's days-to-civil algorithm.
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_known_instants() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(super::rfc3339(1_795_636_800), "2026-11-25T20:00:00Z");
    }

    #[test]
    fn german_day_changes_at_german_midnight() {
        // 2026-11-28 23:50 UTC is already the 29th in Germany (CET); 22:00 UTC is not.
        assert_eq!(super::german_day(1_795_909_800), "2026-11-29");
        assert_eq!(super::german_day(1_795_903_200), "2026-11-28");
    }

    #[test]
    fn german_time_follows_summer_time() {
        assert_eq!(super::german_datetime(1_795_636_800), "25.11.2026, 21:00");
        // 2026-03-29 00:59 UTC is still winter time, 01:00 UTC is summer time.
        assert_eq!(super::german_datetime(1_774_745_940), "29.03.2026, 01:59");
        assert_eq!(super::german_datetime(1_774_746_000), "29.03.2026, 03:00");
        // 2026-10-25 00:59 UTC is summer time, 01:00 UTC winter time again.
        assert_eq!(super::german_datetime(1_792_889_940), "25.10.2026, 02:59");
        assert_eq!(super::german_datetime(1_792_890_000), "25.10.2026, 02:00");
    }
}
