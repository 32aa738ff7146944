//! Durations on the command line: `500ms`, `30s`, `30m`, `12h`, `7d`,
//! `2w`, or several added together (`1h30m`). A bare number is seconds.

use std::time::Duration;
use time::OffsetDateTime;

/// Parses a duration such as `30m`, `1h30m`, `7d` or `45` (seconds).
/// The error names the text and what was expected.
pub fn parse(text: &str) -> Result<Duration, String> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return Err("an empty duration: give e.g. 30s, 30m, 12h or 7d".into());
    }
    if let Ok(secs) = trimmed.parse::<f64>() {
        return from_secs(secs, text);
    }
    let mut total = 0f64;
    let mut rest = trimmed;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(format!(
                "{text:?} is not a duration: expected a number before {rest:?} (e.g. 30s, 30m, 12h, 7d)"
            ));
        }
        let number: f64 = rest[..digits]
            .parse()
            .map_err(|_| format!("{text:?}: {:?} is not a number", &rest[..digits]))?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let unit = &rest[..unit_len];
        let scale = match unit {
            "ms" => 0.001,
            "s" | "sec" | "secs" => 1.0,
            "m" | "min" | "mins" => 60.0,
            "h" => 3600.0,
            "d" => 86_400.0,
            "w" => 7.0 * 86_400.0,
            "" => {
                return Err(format!(
                    "{text:?}: a unit is needed after {number} (ms, s, m, h, d or w)"
                ))
            }
            other => {
                return Err(format!(
                    "{text:?}: unknown unit {other:?} (use ms, s, m, h, d or w)"
                ))
            }
        };
        total += number * scale;
        rest = &rest[unit_len..];
    }
    from_secs(total, text)
}

/// A duration of `secs` seconds, if positive and finite.
fn from_secs(secs: f64, text: &str) -> Result<Duration, String> {
    if secs.is_finite() && secs > 0.0 && secs < 1e12 {
        Ok(Duration::from_secs_f64(secs))
    } else {
        Err(format!("{text:?}: a duration must be above zero"))
    }
}

/// The time `ago` before `t`, but never before 1970, where the history's
/// clock (milliseconds since 1970) starts: a `--keep` or `--since` of
/// millions of days means "everything", not a panic of the time library.
pub fn before(t: OffsetDateTime, ago: Duration) -> OffsetDateTime {
    time::Duration::try_from(ago)
        .ok()
        .and_then(|d| t.checked_sub(d))
        .map_or(OffsetDateTime::UNIX_EPOCH, |cut| {
            cut.max(OffsetDateTime::UNIX_EPOCH)
        })
}

/// A duration as people write it: `30m`, `1h30m`, `2d`, `1.5s`.
pub fn display(d: Duration) -> String {
    let ms = d.as_millis();
    if !ms.is_multiple_of(1000) {
        return format!("{}s", d.as_secs_f64());
    }
    let mut secs = d.as_secs();
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)] {
        if secs >= size {
            out.push_str(&format!("{}{unit}", secs / size));
            secs %= size;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_sums() {
        assert_eq!(parse("30m"), Ok(Duration::from_secs(1800)));
        assert_eq!(parse("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse("7d"), Ok(Duration::from_secs(7 * 86_400)));
        assert_eq!(parse("2w"), Ok(Duration::from_secs(14 * 86_400)));
        assert_eq!(parse("45"), Ok(Duration::from_secs(45)));
        assert_eq!(parse("1.5s"), Ok(Duration::from_millis(1500)));
    }

    #[test]
    fn bad_durations_say_why() {
        assert!(parse("").unwrap_err().contains("empty"));
        assert!(parse("5x").unwrap_err().contains("unknown unit \"x\""));
        assert!(parse("m").unwrap_err().contains("expected a number"));
        assert!(parse("0s").unwrap_err().contains("above zero"));
        assert!(parse("-5").unwrap_err().contains("above zero"));
        assert!(parse("1h5").unwrap_err().contains("a unit is needed"));
    }

    #[test]
    fn a_duration_before_the_start_of_time_saturates() {
        let now = OffsetDateTime::now_utc();
        assert_eq!(
            before(now, parse("1h").unwrap()),
            now - Duration::from_secs(3600)
        );
        let earliest = OffsetDateTime::UNIX_EPOCH;
        assert_eq!(before(now, parse("100000w").unwrap()), earliest);
        assert_eq!(before(now, parse("5000000d").unwrap()), earliest);
        assert_eq!(before(now, parse("999999999999").unwrap()), earliest);
        assert_eq!(before(now, Duration::MAX), earliest);
    }

    #[test]
    fn display_round_trips() {
        for text in ["30m", "1h30m", "2d", "1d1h1m1s", "1.5s"] {
            assert_eq!(display(parse(text).unwrap()), text);
        }
    }
}
