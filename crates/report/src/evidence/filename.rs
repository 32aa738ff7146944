//! File and directory names derived from certificate data and interceptor
//! ids, which come from the network: only `[a-z0-9_-]`, never a path
//! separator or `..`, bounded in length.

use mitmwatch_core::encoding::sha256_hex;

/// Longest slug, in bytes.
pub(crate) const MAX_SLUG: usize = 40;

/// `text` reduced to lowercase ASCII letters, digits, `_` and `-`; every
/// other run of characters becomes one `-`; at most `max` bytes; no
/// leading or trailing `-`. May be empty.
pub(crate) fn slug(text: &str, max: usize) -> String {
    let mut out = String::new();
    for c in text.chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
        if out.len() >= max {
            break;
        }
    }
    out.truncate(max);
    out.trim_matches('-').to_string()
}

/// A directory name for an interceptor id, unique among `taken`: the
/// slug of the id, with a short hash of the id added when the slug is not
/// the id itself (something was dropped) or is already taken.
pub(crate) fn interceptor_dir(id: &str, taken: &[String]) -> String {
    let base = slug(id, MAX_SLUG);
    let base = if base.is_empty() {
        "interceptor".to_string()
    } else {
        base
    };
    if base == id && !taken.contains(&base) {
        return base;
    }
    let hash = sha256_hex(id.as_bytes());
    let mut name = format!("{base}-{}", &hash[..8]);
    let mut n = 2;
    while taken.contains(&name) {
        name = format!("{base}-{}-{n}", &hash[..8]);
        n += 1;
    }
    name
}

/// The PEM file name of a certificate: role, the first 16 hex digits of
/// its SHA-256, and a slug of its common name (or subject) when there is one.
pub(crate) fn cert_file(role: &str, sha256_hex: &str, name: Option<&str>) -> String {
    let hash: String = sha256_hex
        .chars()
        .filter(char::is_ascii_hexdigit)
        .take(16)
        .collect();
    let readable = name.map(|n| slug(n, 32)).unwrap_or_default();
    if readable.is_empty() {
        format!("{}-{hash}.pem", slug(role, 16))
    } else {
        format!("{}-{hash}-{readable}.pem", slug(role, 16))
    }
}

/// The CN of a DN as `cert_record` renders it (`C=KZ, CN=…`), if any.
pub(crate) fn common_name(dn: &str) -> Option<&str> {
    dn.split(", ")
        .find_map(|part| part.strip_prefix("CN="))
        .filter(|cn| !cn.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn safe(name: &str) -> bool {
        !name.contains('/')
            && !name.contains('\\')
            && !name.contains("..")
            && !name.starts_with('.')
            && name.len() <= 100
    }

    #[test]
    fn hostile_text_gives_safe_names() {
        for text in [
            "../../etc/passwd",
            "..",
            "/",
            "C:\\Windows",
            "CN=\u{202e}evil\u{0}\n",
            "unknown:C=KZ, CN=Security Certificate",
            &"a".repeat(500),
            "",
            "ÄÖÜ",
        ] {
            let s = slug(text, MAX_SLUG);
            assert!(s.len() <= MAX_SLUG, "{s}");
            assert!(
                s.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '_'),
                "{s}"
            );
            let dir = interceptor_dir(text, &[]);
            assert!(safe(&dir), "{dir}");
            let file = cert_file("leaf", "00ff", Some(text));
            assert!(safe(&file), "{file}");
        }
        assert_eq!(
            slug("C=KZ, CN=Security Certificate", 40),
            "c-kz-cn-security-certificate"
        );
    }

    #[test]
    fn directories_are_unique_and_catalog_ids_kept() {
        assert_eq!(
            interceptor_dir("kz-qaznet-trust-network", &[]),
            "kz-qaznet-trust-network"
        );
        let a = interceptor_dir("unknown:CN=A", &[]);
        assert!(a.starts_with("unknown-cn-a-"), "{a}");
        let b = interceptor_dir("unknown:CN=A", std::slice::from_ref(&a));
        assert_ne!(a, b);
        let c = interceptor_dir(
            "kz-qaznet-trust-network",
            &["kz-qaznet-trust-network".into()],
        );
        assert_ne!(c, "kz-qaznet-trust-network");
    }

    #[test]
    fn common_names() {
        assert_eq!(
            common_name("C=KZ, CN=Security Certificate"),
            Some("Security Certificate")
        );
        assert_eq!(common_name("O=x"), None);
    }
}
