//! The domain lists shipped with mitmwatch (see `certs/domains/` for the
//! sources): the 37 domains intercepted in Kazakhstan in 2019, the domains
//! OONI saw intercepted there in 2021–2024, and popular controls that were
//! not intercepted.

use mitmwatch_core::target_spec::DomainListReader;

/// The 37 domains the 2019 Kazakhstan box intercepted (Censored Planet).
pub(crate) const KZ_2019: &str = include_str!("../../../certs/domains/kz-2019.txt");
/// Domains OONI saw intercepted in Kazakhstan with ISCA roots, 2021–2024.
pub(crate) const KZ_2021_2024: &str = include_str!("../../../certs/domains/kz-2021-2024.txt");
/// Popular domains not on any known interception list (controls).
pub(crate) const CONTROLS: &str = include_str!("../../../certs/domains/controls.txt");

/// The host names in one of the lists above, in order.
pub(crate) fn names(list: &str) -> Vec<String> {
    DomainListReader::new(list.as_bytes(), "built-in list", 443)
        .filter_map(Result::ok)
        .map(|t| t.host)
        .collect()
}

/// The list `check` and `demo` scan: every Kazakhstan target, then the
/// controls, without duplicates.
pub fn popular() -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    [KZ_2019, KZ_2021_2024, CONTROLS]
        .iter()
        .flat_map(|l| names(l))
        .filter(|n| seen.insert(n.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_parse_completely() {
        assert_eq!(names(KZ_2019).len(), 37);
        assert_eq!(names(KZ_2021_2024).len(), 14);
        assert!(names(CONTROLS).len() >= 10);
        for list in [KZ_2019, KZ_2021_2024, CONTROLS] {
            let all = DomainListReader::new(list.as_bytes(), "x", 443);
            assert!(all.into_iter().all(|r| r.is_ok()));
        }
    }
}
