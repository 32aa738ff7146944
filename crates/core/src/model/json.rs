//! JSON output that is also safe on a terminal. serde_json escapes C0
//! control characters but writes DEL, C1 controls (U+0080–U+009F, which
//! some terminals read as escape sequences), bidi overrides and line
//! separators raw. These writers escape them as `\uXXXX` too: the JSON
//! decodes to the same strings, and `mitmwatch … --format json` printed
//! to a terminal cannot drive it.

use serde::Serialize;
use serde_json::ser::{CompactFormatter, Formatter, PrettyFormatter};
use std::io::{self, Write};

/// Whether `c` is escaped in JSON output beyond what serde_json escapes.
fn needs_escape(c: char) -> bool {
    matches!(c, '\u{7f}'..='\u{9f}' | '\u{200e}' | '\u{200f}' | '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A formatter that escapes the characters of [`needs_escape`] and
/// otherwise lays out as `F` does.
struct Safe<F>(F);

macro_rules! delegate {
    ($($name:ident($($arg:ident: $ty:ty),*)),* $(,)?) => {$(
        fn $name<W: ?Sized + Write>(&mut self, writer: &mut W $(, $arg: $ty)*) -> io::Result<()> {
            self.0.$name(writer $(, $arg)*)
        }
    )*};
}

impl<F: Formatter> Formatter for Safe<F> {
    delegate!(
        begin_array(),
        end_array(),
        begin_array_value(first: bool),
        end_array_value(),
        begin_object(),
        end_object(),
        begin_object_key(first: bool),
        begin_object_value(),
        end_object_value(),
    );

    fn write_string_fragment<W: ?Sized + Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Nearly every fragment is printable ASCII: one vectorised scan.
        if fragment.bytes().all(|b| b < 0x7f) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if needs_escape(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }
}

/// Writes `value` as one line of JSON (no newline).
pub(crate) fn write_compact<W: Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(writer, Safe(CompactFormatter));
    value.serialize(&mut ser).map_err(io::Error::other)
}

/// Writes `value` as one line of JSON and a newline.
pub fn write_line<W: Write, T: Serialize + ?Sized>(mut writer: W, value: &T) -> io::Result<()> {
    write_compact(&mut writer, value)?;
    writer.write_all(b"\n")
}

/// Writes `value` as indented JSON and a newline.
pub fn write_pretty<W: Write, T: Serialize + ?Sized>(mut writer: W, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(&mut writer, Safe(PrettyFormatter::new()));
    value.serialize(&mut ser).map_err(io::Error::other)?;
    writer.write_all(b"\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_are_escaped_and_the_value_is_unchanged() {
        let value = serde_json::json!({"subject": "CN=a\u{1b}[31m\u{9b}31m\u{202e}b\u{7f}\"\\", "n": [1, 2]});
        let mut out = Vec::new();
        write_line(&mut out, &value).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(!text.chars().any(|c| c.is_control() && c != '\n'), "{text}");
        assert!(!text.contains('\u{202e}'), "{text}");
        assert!(
            text.contains("\\u009b") && text.contains("\\u202e"),
            "{text}"
        );
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&text).unwrap(),
            value
        );
        let mut pretty = Vec::new();
        write_pretty(&mut pretty, &value).unwrap();
        let pretty = String::from_utf8(pretty).unwrap();
        assert!(pretty.contains("\n  \"n\": [\n"), "{pretty}");
        assert_eq!(
            serde_json::from_str::<serde_json::Value>(&pretty).unwrap(),
            value
        );
    }
}
