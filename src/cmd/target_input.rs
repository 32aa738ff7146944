//! Opening a list of targets (`scan -i`, `probe -i`): plain text or
//! `rank,domain` CSV, gzip read transparently; a zip archive, a directory
//! or binary data is refused at once with a hint instead of being read as
//! thousands of bad lines.

use anyhow::{bail, Context, Result};
use std::io::{BufRead, BufReader};
use std::path::Path;

/// A target list being read, and its name for messages.
pub type TargetReader = (Box<dyn BufRead + Send>, String);

/// The hint shown whenever a target list cannot be used.
pub const LIST_HINT: &str = "give one HOST[:PORT] per line, or `rank,domain` CSV as in the \
     Tranco and Umbrella lists (plain or gzip)";

/// What the first bytes of a file say it is.
#[derive(Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Gzip,
    Zip,
    Binary,
}

fn sniff(head: &[u8]) -> Kind {
    if head.starts_with(&[0x1f, 0x8b]) {
        return Kind::Gzip;
    }
    if head.starts_with(b"PK\x03\x04") || head.starts_with(b"PK\x05\x06") {
        return Kind::Zip;
    }
    // Binary when most lines of the first 8 KiB are not text: a list with
    // a few corrupt lines is still read, each bad line reported.
    let sample = &head[..head.len().min(8192)];
    let mut lines: Vec<&[u8]> = sample.split(|b| *b == b'\n').collect();
    if lines.len() > 1 && !sample.ends_with(b"\n") {
        lines.pop(); // cut at the end of the sample
    }
    let lines: Vec<&[u8]> = lines.into_iter().filter(|l| !l.is_empty()).collect();
    let not_text = lines.iter().filter(|l| !is_text_line(l)).count();
    if not_text * 2 > lines.len() {
        Kind::Binary
    } else {
        Kind::Text
    }
}

/// A line of text: UTF-8 (a character cut at the end of the sample
/// counts), without control characters other than tab, CR and ESC.
fn is_text_line(line: &[u8]) -> bool {
    let utf8 = match std::str::from_utf8(line) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none(),
    };
    utf8 && !line
        .iter()
        .any(|b| (*b < 0x20 && !matches!(b, b'\t' | b'\r' | 0x1b)) || *b == 0x7f)
}

/// Opens `-` (stdin) or a file as a target list.
pub fn open(path: &Path) -> Result<TargetReader> {
    if path.as_os_str() == "-" {
        let reader: Box<dyn BufRead + Send> = Box::new(BufReader::new(std::io::stdin()));
        return Ok((checked(reader, "standard input", 0)?, "-".into()));
    }
    let name = path.display().to_string();
    if path.is_dir() {
        bail!("{name} is a directory, not a list of targets: {LIST_HINT}");
    }
    let file = std::fs::File::open(path).with_context(|| format!("opening {name}"))?;
    let reader: Box<dyn BufRead + Send> = Box::new(BufReader::new(file));
    Ok((checked(reader, &name, 0)?, name))
}

/// Looks at the first bytes: unpacks gzip (once), refuses zip and binary.
fn checked(
    mut reader: Box<dyn BufRead + Send>,
    name: &str,
    depth: u8,
) -> Result<Box<dyn BufRead + Send>> {
    let head = reader
        .fill_buf()
        .with_context(|| format!("reading {name}"))?;
    match sniff(head) {
        Kind::Text => Ok(reader),
        Kind::Gzip if depth == 0 => {
            let unpacked = flate2::bufread::MultiGzDecoder::new(reader);
            checked(
                Box::new(BufReader::new(unpacked)),
                &format!("{name} (gzip)"),
                1,
            )
        }
        Kind::Gzip => bail!("{name}: gzip inside gzip is not read: {LIST_HINT}"),
        Kind::Zip => bail!(
            "{name} is a zip archive, which mitmwatch does not unpack: extract the list first \
             (e.g. `unzip -p top-1m.csv.zip > top-1m.csv`); {LIST_HINT}"
        ),
        Kind::Binary => bail!("{name} holds binary data, not a list of targets: {LIST_HINT}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn read_all(path: &Path) -> Result<String> {
        let (mut r, _) = open(path)?;
        let mut s = String::new();
        std::io::Read::read_to_string(&mut r, &mut s)?;
        Ok(s)
    }

    #[test]
    fn text_gzip_zip_binary_and_directories() {
        let dir = tempfile::tempdir().unwrap();
        let text = dir.path().join("list.csv");
        std::fs::write(&text, "1,example.com\n2,example.org\n").unwrap();
        assert_eq!(read_all(&text).unwrap(), "1,example.com\n2,example.org\n");

        let gz = dir.path().join("list.csv.gz");
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(b"1,example.com\n").unwrap();
        std::fs::write(&gz, enc.finish().unwrap()).unwrap();
        assert_eq!(read_all(&gz).unwrap(), "1,example.com\n");

        let zip = dir.path().join("top-1m.csv.zip");
        std::fs::write(&zip, b"PK\x03\x04\x14\x00\x00\x00rest").unwrap();
        let e = read_all(&zip).unwrap_err().to_string();
        assert!(e.contains("zip archive") && e.contains("unzip"), "{e}");

        let bin = dir.path().join("random.bin");
        std::fs::write(&bin, [0x7fu8, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0]).unwrap();
        let e = read_all(&bin).unwrap_err().to_string();
        assert!(e.contains("binary data"), "{e}");

        let latin1 = dir.path().join("latin1.txt");
        std::fs::write(&latin1, b"caf\xe9.example\n").unwrap();
        assert!(read_all(&latin1)
            .unwrap_err()
            .to_string()
            .contains("binary"));

        let e = read_all(dir.path()).unwrap_err().to_string();
        assert!(e.contains("is a directory"), "{e}");

        let empty = dir.path().join("empty.txt");
        std::fs::write(&empty, b"").unwrap();
        assert_eq!(read_all(&empty).unwrap(), "");
    }

    #[test]
    fn a_character_cut_at_the_end_of_the_sample_is_still_text() {
        let mut head = "a".repeat(8191).into_bytes();
        head.extend_from_slice("é".as_bytes());
        assert_eq!(sniff(&head), Kind::Text);
    }

    #[test]
    fn a_few_corrupt_lines_do_not_make_a_list_binary() {
        assert_eq!(
            sniff(b"a.example\n\xff\xfe\x00bin\nb.example\n"),
            Kind::Text
        );
        assert_eq!(sniff(b"\x00\x01\n\x02\x03\nb.example\n"), Kind::Binary);
        assert_eq!(sniff(b""), Kind::Text);
    }
}
