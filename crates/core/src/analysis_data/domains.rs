//! The domain lists shipped with mitmwatch, compiled from `certs/domains/`
//! (each file names its public source): the 37 domains intercepted in
//! Kazakhstan in 2019, the domains OONI saw intercepted there in
//! 2021–2024, and popular controls that no interception list names.
//! `mitmwatch check` measures [`popular`]; the simulator intercepts
//! [`DomainList::Kz2019`].

use crate::target_spec::DomainListReader;

/// One of the shipped lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DomainList {
    /// The 37 domains the 2019 Kazakhstan box intercepted (Censored
    /// Planet; Raman et al., IMC 2020): `certs/domains/kz-2019.txt`.
    Kz2019,
    /// Domains OONI saw intercepted in Kazakhstan with the "Information
    /// Security Certification Authority" roots, 2021–2024:
    /// `certs/domains/kz-2021-2024.txt`.
    Kz2021To2024,
    /// Popular domains on no known interception list; if they are
    /// intercepted too, interception is blanket, not targeted:
    /// `certs/domains/controls.txt`.
    Controls,
}

impl DomainList {
    /// Every list, in the order [`popular`] joins them.
    pub const ALL: [DomainList; 3] = [
        DomainList::Kz2019,
        DomainList::Kz2021To2024,
        DomainList::Controls,
    ];

    /// The file's text, comments included.
    fn text(self) -> &'static str {
        match self {
            DomainList::Kz2019 => include_str!("../../../../certs/domains/kz-2019.txt"),
            DomainList::Kz2021To2024 => {
                include_str!("../../../../certs/domains/kz-2021-2024.txt")
            }
            DomainList::Controls => include_str!("../../../../certs/domains/controls.txt"),
        }
    }

    /// The file it was compiled from, relative to the repository.
    pub fn source(self) -> &'static str {
        match self {
            DomainList::Kz2019 => "certs/domains/kz-2019.txt",
            DomainList::Kz2021To2024 => "certs/domains/kz-2021-2024.txt",
            DomainList::Controls => "certs/domains/controls.txt",
        }
    }

    /// The host names in the list, in order.
    pub fn names(self) -> Vec<String> {
        DomainListReader::new(self.text().as_bytes(), self.source(), 443)
            .filter_map(Result::ok)
            .map(|t| t.host)
            .collect()
    }
}

/// The sites `mitmwatch check` measures (and `demo` scans): every
/// Kazakhstan target, then the controls, without duplicates, in order.
pub fn popular() -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    DomainList::ALL
        .iter()
        .flat_map(|l| l.names())
        .filter(|n| seen.insert(n.clone()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_list_parses_completely() {
        assert_eq!(DomainList::Kz2019.names().len(), 37);
        assert_eq!(DomainList::Kz2021To2024.names().len(), 14);
        assert!(DomainList::Controls.names().len() >= 10);
        for list in DomainList::ALL {
            let all = DomainListReader::new(list.text().as_bytes(), list.source(), 443);
            assert!(all.into_iter().all(|r| r.is_ok()), "{}", list.source());
        }
    }

    #[test]
    fn popular_joins_the_lists_without_duplicates() {
        let all = popular();
        let unique: std::collections::HashSet<&String> = all.iter().collect();
        assert_eq!(unique.len(), all.len());
        assert_eq!(all.len(), 63);
        assert_eq!(all[0], DomainList::Kz2019.names()[0]);
    }
}
