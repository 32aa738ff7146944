//! Name rules: a DN matches a rule when every attribute the rule lists has a
//! value matching its regular expression.

use regex::Regex;

/// The DN attributes name rules can test.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum DnAttr {
    /// countryName
    C,
    /// stateOrProvinceName
    St,
    /// localityName
    L,
    /// organizationName
    O,
    /// organizationalUnitName
    Ou,
    /// commonName
    Cn,
}

impl DnAttr {
    /// Parses the catalog key (`c`, `st`, `l`, `o`, `ou`, `cn`).
    pub(crate) fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "c" => DnAttr::C,
            "st" => DnAttr::St,
            "l" => DnAttr::L,
            "o" => DnAttr::O,
            "ou" => DnAttr::Ou,
            "cn" => DnAttr::Cn,
            _ => return None,
        })
    }

    /// The attribute for a DN short name (`CN`, `O`, …; see
    /// [`crate::certinfo::attr_short_name`]), if it is one rules test.
    pub(crate) fn from_short_name(name: &str) -> Option<Self> {
        Some(match name {
            "C" => DnAttr::C,
            "ST" => DnAttr::St,
            "L" => DnAttr::L,
            "O" => DnAttr::O,
            "OU" => DnAttr::Ou,
            "CN" => DnAttr::Cn,
            _ => return None,
        })
    }
}

/// The attributes of a distinguished name that rules look at, decoded.
pub(crate) type DnValues = Vec<(DnAttr, String)>;

/// One rule: all listed attributes must match.
#[derive(Clone, Debug)]
pub(crate) struct NameRule {
    parts: Vec<(DnAttr, Regex)>,
}

impl NameRule {
    /// Builds a rule from `(key, pattern)` pairs; errors name the bad part.
    pub(crate) fn new<'a>(
        pairs: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Self, String> {
        let mut parts = Vec::new();
        for (key, pattern) in pairs {
            let attr = DnAttr::from_key(key)
                .ok_or_else(|| format!("unknown DN attribute {key:?} (use c, st, l, o, ou, cn)"))?;
            let regex = Regex::new(pattern).map_err(|e| format!("bad pattern for {key:?}: {e}"))?;
            parts.push((attr, regex));
        }
        if parts.is_empty() {
            return Err("empty name rule".into());
        }
        Ok(NameRule { parts })
    }

    /// Whether `dn` satisfies every part of the rule.
    pub(crate) fn matches(&self, dn: &DnValues) -> bool {
        self.parts.iter().all(|(attr, regex)| {
            dn.iter()
                .any(|(a, value)| a == attr && regex.is_match(value))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_parts_must_match() {
        let rule = NameRule::new([("c", "^KZ$"), ("cn", "^Qaznet Trust Network$")]).unwrap();
        let dn = vec![
            (DnAttr::C, "KZ".to_string()),
            (DnAttr::Cn, "Qaznet Trust Network".to_string()),
        ];
        assert!(rule.matches(&dn));
        let other = vec![(DnAttr::Cn, "Qaznet Trust Network".to_string())];
        assert!(!rule.matches(&other));
        assert!(NameRule::new([("x", "a")]).is_err());
        assert!(NameRule::new([("cn", "(")]).is_err());
    }
}
