//! Small, dependency-free encodings used in records: lowercase hex,
//! SHA-256 digests, base64, PEM and RFC 3339 times.

use base64::Engine;

/// Lowercase hex of `bytes`, no separators.
pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 0x0f) as usize] as char);
    }
    out
}

/// Parses lowercase or uppercase hex (colons allowed between bytes, as
/// `openssl -fingerprint` prints them). Returns `None` on anything else.
pub fn parse_hex(text: &str) -> Option<Vec<u8>> {
    let cleaned: Vec<u8> = text.bytes().filter(|b| *b != b':').collect();
    if !cleaned.len().is_multiple_of(2) {
        return None;
    }
    // Digits only: `u8::from_str_radix` alone would take "+f" as 15.
    fn digit(b: u8) -> Option<u8> {
        (b as char).to_digit(16).map(|d| d as u8)
    }
    cleaned
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

/// SHA-256 of `bytes`.
pub fn sha256(bytes: &[u8]) -> [u8; 32] {
    let digest = ring::digest::digest(&ring::digest::SHA256, bytes);
    let mut out = [0u8; 32];
    out.copy_from_slice(digest.as_ref());
    out
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&sha256(bytes))
}

/// Standard base64 with padding.
pub fn base64_encode(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// Standard base64 with padding; whitespace is not accepted.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, base64::DecodeError> {
    base64::engine::general_purpose::STANDARD.decode(text)
}

/// Wraps DER in a PEM block with the given label.
pub fn pem_encode(label: &str, der: &[u8]) -> String {
    let b64 = base64_encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// `t` in UTC. A time whose UTC reading is past the last or before the
/// first instant `time` can hold (`9999-12-31T23:00:00-01:00`, which parses
/// without error) becomes that last or first instant: never a panic.
pub fn utc(t: time::OffsetDateTime) -> time::OffsetDateTime {
    use time::PrimitiveDateTime;
    t.checked_to_offset(time::UtcOffset::UTC)
        .unwrap_or_else(|| {
            if t.offset().is_negative() {
                PrimitiveDateTime::MAX.assume_utc()
            } else {
                PrimitiveDateTime::MIN.assume_utc()
            }
        })
}

/// RFC 3339 text of `t` in UTC (`2026-01-24T12:53:55Z`; fractional seconds
/// only when `t` has them). Cannot fail: RFC 3339 writes four-digit years
/// only, so an instant before year 0000 or after 9999 (which no parsed
/// certificate, log list or record can hold) is written as the nearest
/// instant it can express.
pub fn rfc3339(t: time::OffsetDateTime) -> String {
    use time::format_description::well_known::Rfc3339;
    use time::{Date, Month, PrimitiveDateTime, Time};
    let utc = utc(t);
    let clamped = match utc.year() {
        year if year < 0 => PrimitiveDateTime::new(
            Date::from_calendar_date(0, Month::January, 1).unwrap_or(Date::MIN),
            Time::MIDNIGHT,
        )
        .assume_utc(),
        year if year > 9999 => PrimitiveDateTime::new(
            Date::from_calendar_date(9999, Month::December, 31).unwrap_or(Date::MAX),
            Time::from_hms_nano(23, 59, 59, 999_999_999).unwrap_or(Time::MIDNIGHT),
        )
        .assume_utc(),
        _ => utc,
    };
    // With a UTC offset and a year in 0..=9999 the formatter has nothing
    // left to refuse; the fallback is unreachable but keeps this total.
    clamped
        .format(&Rfc3339)
        .unwrap_or_else(|_| clamped.to_string())
}

/// [`rfc3339`] to the second (`2026-01-24T12:53:55Z`): for text people
/// read, where fractions of a second are noise.
pub fn rfc3339_seconds(t: time::OffsetDateTime) -> String {
    rfc3339(t.replace_nanosecond(0).unwrap_or(t))
}

/// Whether a terminal could act on `c`: control characters (C0, DEL, C1)
/// and bidi controls.
fn is_dangerous(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` (certificate text, anything from the network) with control
/// characters (C0, DEL, C1) and bidi controls escaped as `\u{…}` and
/// backslashes doubled, so that a terminal or a notification shows it and
/// acts on none of it; printable text is left as it is.
pub fn escape_controls(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c == '\\' {
            out.push_str("\\\\");
        } else if is_dangerous(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_writes_utc_and_clamps_what_it_cannot_write() {
        use time::macros::datetime;
        assert_eq!(
            rfc3339(datetime!(2026-01-24 12:53:55 UTC)),
            "2026-01-24T12:53:55Z"
        );
        assert_eq!(
            rfc3339(datetime!(2026-01-24 14:53:55.5 +02:00)),
            "2026-01-24T12:53:55.5Z"
        );
        assert_eq!(
            rfc3339(datetime!(2026-01-24 12:53:55 +00:00:30)),
            "2026-01-24T12:53:25Z"
        );
        assert_eq!(
            rfc3339(time::OffsetDateTime::UNIX_EPOCH),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            rfc3339(time::OffsetDateTime::UNIX_EPOCH.replace_year(-5).unwrap()),
            "0000-01-01T00:00:00Z"
        );
    }

    #[test]
    fn hex_round_trips_and_accepts_colons() {
        assert_eq!(hex(&[0x00, 0xab, 0xff]), "00abff");
        assert_eq!(parse_hex("00:AB:ff"), Some(vec![0x00, 0xab, 0xff]));
        assert_eq!(parse_hex("abc"), None);
        assert_eq!(parse_hex("zz"), None);
        assert_eq!(parse_hex("+f"), None);
        assert_eq!(parse_hex("+f+f"), None);
        assert_eq!(parse_hex("-1"), None);
        assert_eq!(parse_hex(""), Some(vec![]));
    }

    #[test]
    fn sha256_of_empty_input_is_the_known_value() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
