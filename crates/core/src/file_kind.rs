//! What kind of file a path holds, from its first bytes, among the formats
//! mitmwatch reads and writes: so that a command given the wrong one
//! (`analyze list.txt`, `report evidence.json`) refuses it and names the
//! command that fits, instead of judging every line as a bad observation.
//! Pure: the caller reads the start of the file ([`SNIFF_BYTES`]).

/// How much of a file's start [`FileKind::sniff`] looks at.
pub const SNIFF_BYTES: usize = 64 * 1024;

/// A kind of file mitmwatch knows.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FileKind {
    /// Observations (JSON Lines from `scan`, `check --save`, `demo -o`).
    Observations,
    /// Assessments or a summary (`scan --analyze`, `analyze --format json`).
    Assessments,
    /// Control-SNI probe records (`probe --format json`).
    ProbeRecords,
    /// A target list: one host (or `host:port`, or `rank,domain`) per line.
    TargetList,
    /// A baseline (`mitmwatch baseline`).
    Baseline,
    /// Static-pin data (`certs/pins.json`, `sim --pins-out`).
    Pins,
    /// A catalog of interception roots (`certs/catalog.json`).
    Catalog,
    /// A CT log list (Chrome's `log_list.json`).
    CtLogList,
    /// PEM certificates (a chain or a root).
    Pem,
    /// An HTML page (`report --html`).
    Html,
    /// A JSON document mitmwatch writes, by its `type` (`check`,
    /// `store-audit`, `comparison`, `interception-evidence`,
    /// `evidence-manifest`, `update`).
    Document(String),
    /// Anything else (including empty and gzip files): left to the reader.
    Other,
}

/// The start of a text, without a byte-order mark and leading white space.
fn trimmed(head: &[u8]) -> &[u8] {
    let head = head.strip_prefix(b"\xef\xbb\xbf").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    &head[start..]
}

/// The top-level keys of a pretty-printed JSON document (two-space
/// indent, as mitmwatch and Chrome write them), and its `type` if any.
fn document_keys(text: &str) -> (Vec<&str>, Option<&str>) {
    let mut keys = Vec::new();
    let mut kind = None;
    for line in text.lines().skip(1) {
        let Some(rest) = line.strip_prefix("  \"") else {
            continue;
        };
        if line.starts_with("   ") {
            continue;
        }
        let Some((key, value)) = rest.split_once("\":") else {
            continue;
        };
        if key == "type" {
            kind = value
                .trim()
                .trim_end_matches(',')
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'));
        }
        keys.push(key);
    }
    (keys, kind)
}

/// Whether every one of the first few lines that are not comments looks
/// like a target: no spaces, braces or quotes.
fn looks_like_target_list(text: &str) -> bool {
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .take(20)
        .collect();
    !lines.is_empty()
        && lines.iter().all(|l| {
            l.len() <= 300
                && l.chars().any(|c| c.is_ascii_alphanumeric())
                && l.chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-.:_,[]*/".contains(c))
        })
}

impl FileKind {
    /// The kind of a file from its first bytes (up to [`SNIFF_BYTES`]).
    pub fn sniff(head: &[u8]) -> FileKind {
        let head = trimmed(head);
        if head.is_empty() || head.starts_with(b"\x1f\x8b") {
            return FileKind::Other;
        }
        let text = String::from_utf8_lossy(head);
        if text.starts_with("-----BEGIN") {
            return FileKind::Pem;
        }
        if text.starts_with('<') {
            let lower = text
                .chars()
                .take(200)
                .collect::<String>()
                .to_ascii_lowercase();
            return match lower.contains("<html") || lower.starts_with("<!doctype html") {
                true => FileKind::Html,
                false => FileKind::Other,
            };
        }
        if text.starts_with('{') {
            let first = text.lines().next().unwrap_or_default();
            if let Ok(serde_json::Value::Object(record)) = serde_json::from_str(first) {
                return match record.get("type").and_then(|t| t.as_str()) {
                    Some("assessment") | Some("summary") => FileKind::Assessments,
                    Some("sni-probe") => FileKind::ProbeRecords,
                    Some(other) => FileKind::Document(other.to_string()),
                    None if record.contains_key("target") => FileKind::Observations,
                    None => FileKind::Other,
                };
            }
            let (keys, kind) = document_keys(&text);
            let has = |k: &str| keys.contains(&k);
            return match kind {
                Some("assessment") | Some("summary") => FileKind::Assessments,
                Some("sni-probe") => FileKind::ProbeRecords,
                Some(other) => FileKind::Document(other.to_string()),
                None if has("pinsets") => FileKind::Pins,
                None if has("domains") && has("created_at") => FileKind::Baseline,
                None if has("operators") && has("log_list_timestamp") => FileKind::CtLogList,
                None if has("entries") && has("description") => FileKind::Catalog,
                None => FileKind::Other,
            };
        }
        if looks_like_target_list(&text) {
            return FileKind::TargetList;
        }
        FileKind::Other
    }

    /// Why a command that reads observations refuses this kind, with the
    /// command that fits, for the file shown as `file`; `None` for
    /// observations, for kinds mitmwatch cannot tell, and for assessments
    /// and probe records, which the judge refuses itself (in files and on
    /// standard input alike: `crate::judge`).
    pub fn refusal(&self, file: &str) -> Option<String> {
        let why = match self {
            FileKind::Observations
            | FileKind::Other
            | FileKind::Assessments
            | FileKind::ProbeRecords => return None,
            FileKind::TargetList => format!(
                "{file} is a target list: run `mitmwatch scan -i {file} -o obs.jsonl` first, then \
                 judge obs.jsonl"
            ),
            FileKind::Baseline => format!(
                "{file} is a baseline (from `mitmwatch baseline`): give it with `--baseline {file}`"
            ),
            FileKind::Pins => format!(
                "{file} is static-pin data: give it with `--pins {file}`"
            ),
            FileKind::Catalog => format!(
                "{file} is a catalog of interception roots: give it with `--catalog {file}`"
            ),
            FileKind::CtLogList => format!(
                "{file} is a CT log list: give it with `--ct-log-list {file}`"
            ),
            FileKind::Pem => format!(
                "{file} holds PEM certificates: judge a chain with `mitmwatch inspect {file}`, or a \
                 directory of them with `--from pem-dir`"
            ),
            FileKind::Html => format!(
                "{file} is an HTML page (such as a `report --html` report): judge the observations \
                 it was made from"
            ),
            FileKind::Document(kind) => {
                let made_by = match kind.as_str() {
                    "check" => "the result of `mitmwatch check --format json`; `check --save FILE` \
                                keeps the observations",
                    "store-audit" => "the result of `mitmwatch store --format json`",
                    "comparison" => "the result of `mitmwatch compare --format json`",
                    "interception-evidence" | "evidence-manifest" => {
                        "part of an evidence bundle (`mitmwatch evidence`): its observations \
                         are in the bundle's observations.jsonl"
                    }
                    "update" => "the result of `mitmwatch update --format json`",
                    _ => "a mitmwatch document",
                };
                format!("{file} is {made_by}, not observations")
            }
        };
        Some(why)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kind(text: &str) -> FileKind {
        FileKind::sniff(text.as_bytes())
    }

    #[test]
    fn each_format_is_told_apart() {
        let obs =
            r#"{"schema":1,"tool":"mitmwatch 0.1.0","target":{"host":"a.example","port":443}}"#;
        assert_eq!(kind(obs), FileKind::Observations);
        assert_eq!(
            kind(r#"{"type":"assessment","schema":2}"#),
            FileKind::Assessments
        );
        assert_eq!(kind(r#"{"type":"sni-probe"}"#), FileKind::ProbeRecords);
        assert_eq!(
            kind("# popular sites\nexample.com\nexample.org:8443\n1,vk.com\n"),
            FileKind::TargetList
        );
        assert_eq!(kind("a broken line\n"), FileKind::Other);
        for (file, want) in [
            ("certs/pins.json", FileKind::Pins),
            ("certs/catalog.json", FileKind::Catalog),
            ("certs/ct/log_list.json", FileKind::CtLogList),
            ("fixtures/baseline-vk.json", FileKind::Baseline),
            ("certs/superfish-b6fe9151402bad1c.pem", FileKind::Pem),
            ("certs/domains/kz-2019.txt", FileKind::TargetList),
        ] {
            let path = format!("{}/../../{file}", env!("CARGO_MANIFEST_DIR"));
            let bytes = std::fs::read(&path).unwrap();
            let head = &bytes[..bytes.len().min(SNIFF_BYTES)];
            assert_eq!(FileKind::sniff(head), want, "{file}");
        }
        let doc = "{\n  \"type\": \"check\",\n  \"schema\": 1,\n  \"verdict\": \"clean\"\n}\n";
        assert_eq!(kind(doc), FileKind::Document("check".into()));
        assert_eq!(kind("<!DOCTYPE html>\n<html lang=\"en\">"), FileKind::Html);
        assert_eq!(kind(""), FileKind::Other);
        assert_eq!(FileKind::sniff(b"\x1f\x8b\x08\x00"), FileKind::Other);
    }

    #[test]
    fn refusals_name_the_command_that_fits() {
        let r = FileKind::TargetList.refusal("list.txt").unwrap();
        assert!(
            r.contains("run `mitmwatch scan -i list.txt -o obs.jsonl` first"),
            "{r}"
        );
        let r = FileKind::Baseline.refusal("b.json").unwrap();
        assert!(r.contains("--baseline b.json"), "{r}");
        let r = FileKind::Document("interception-evidence".into())
            .refusal("evidence.json")
            .unwrap();
        assert!(r.contains("observations.jsonl"), "{r}");
        assert_eq!(FileKind::Observations.refusal("o.jsonl"), None);
        assert_eq!(FileKind::Other.refusal("o.jsonl"), None);
    }
}
