//! Reading text input one line at a time with a bound on line length, so
//! that a file without newlines (or a hostile one) cannot make a reader
//! hold more than the bound. Shared by the readers of domain lists,
//! observation files and OONI measurements, and by `scan --resume`, each
//! adding its own parsing and error messages.

use std::io::{BufRead, Read};

/// What one read produced.
#[derive(Debug)]
pub enum Line<'a> {
    /// A line of at most the bound, newline included if there was one.
    Text(&'a [u8]),
    /// A line longer than the bound; the rest of it was skipped unkept.
    TooLong,
}

/// Lines of `reader`, each at most `max` bytes, numbered from 1.
pub struct BoundedLines<R> {
    reader: R,
    max: usize,
    buf: Vec<u8>,
    line: usize,
    done: bool,
    /// Bytes consumed so far, skipped ones included.
    consumed: u64,
    /// Whether the last line returned ended with a newline.
    complete: bool,
}

impl<R: BufRead> BoundedLines<R> {
    /// Reads `reader` in lines of at most `max` bytes.
    pub fn new(reader: R, max: usize) -> Self {
        BoundedLines {
            reader,
            max,
            buf: Vec::new(),
            line: 0,
            done: false,
            consumed: 0,
            complete: false,
        }
    }

    /// Bytes consumed so far (the lines returned, and the skipped rest of
    /// long ones): the offset in the input where the next line starts.
    pub fn bytes_read(&self) -> u64 {
        self.consumed
    }

    /// Whether the last line returned (text or too long) ended with a
    /// newline; a last line without one may have been cut off.
    pub fn ended_with_newline(&self) -> bool {
        self.complete
    }

    /// The next line and its 1-based number; `None` at the end of input or
    /// after a read error (which is returned once, counted as a line).
    pub fn next_line(&mut self) -> Option<(usize, std::io::Result<Line<'_>>)> {
        if self.done {
            return None;
        }
        self.buf.clear();
        let read = (&mut self.reader)
            .take(self.max as u64 + 1)
            .read_until(b'\n', &mut self.buf);
        match read {
            Ok(0) => {
                self.done = true;
                return None;
            }
            Ok(n) => self.consumed += n as u64,
            Err(e) => {
                self.done = true;
                self.line += 1;
                return Some((self.line, Err(e)));
            }
        }
        self.line += 1;
        self.complete = self.buf.ends_with(b"\n");
        if self.buf.len() > self.max && !self.complete {
            self.skip_rest();
            return Some((self.line, Ok(Line::TooLong)));
        }
        Some((self.line, Ok(Line::Text(&self.buf))))
    }

    /// Skips the rest of an over-long line without keeping it.
    fn skip_rest(&mut self) {
        let mut rest = Vec::new();
        while let Ok(n) = (&mut self.reader)
            .take(self.max.clamp(1, 64 * 1024) as u64)
            .read_until(b'\n', &mut rest)
        {
            self.consumed += n as u64;
            if rest.ends_with(b"\n") {
                self.complete = true;
                break;
            }
            if n == 0 {
                break;
            }
            rest.clear();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_lines_are_skipped_and_numbering_goes_on() {
        let mut text = b"ab\n".to_vec();
        text.extend(std::iter::repeat_n(b'x', 100));
        text.extend_from_slice(b"\ncd");
        let mut lines = BoundedLines::new(&text[..], 10);
        assert!(matches!(
            lines.next_line(),
            Some((1, Ok(Line::Text(b"ab\n"))))
        ));
        assert_eq!(lines.bytes_read(), 3);
        assert!(matches!(lines.next_line(), Some((2, Ok(Line::TooLong)))));
        assert!(lines.ended_with_newline());
        assert_eq!(lines.bytes_read(), 104);
        assert!(matches!(
            lines.next_line(),
            Some((3, Ok(Line::Text(b"cd"))))
        ));
        assert!(!lines.ended_with_newline());
        assert_eq!(lines.bytes_read(), 106);
        assert!(lines.next_line().is_none());
        // A long last line without a newline was cut off.
        let mut lines = BoundedLines::new(&[b'x'; 50][..], 10);
        assert!(matches!(lines.next_line(), Some((1, Ok(Line::TooLong)))));
        assert!(!lines.ended_with_newline());
        assert_eq!(lines.bytes_read(), 50);
    }
}
