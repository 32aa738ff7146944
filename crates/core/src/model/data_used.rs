//! Which analysis data a run used ([`DataUsed`]), recorded in summaries and
//! provenance blocks. Built by `analysis_data::data_used` from the data in
//! force; a record here so that the model does not depend on that data.

/// One line per kind of data. The texts may hold file names and versions
/// from downloaded files: escape them for terminals.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DataUsed {
    /// E.g. `built-in certs/ct/log_list.json (version 82.1, 2026-01-24T12:53:55Z)`.
    pub ct_log_list: String,
    /// E.g. `built-in certs/pins.json (chromium 2024-10-09; firefox 2027-01-15, list expiry)`.
    pub pins: String,
    /// E.g. `built-in catalog, 52 entries`.
    pub catalog: String,
    /// E.g. `webpki-roots (Mozilla, 146 roots)`.
    pub trust_store: String,
}

impl DataUsed {
    /// `(label, text)` pairs in display order.
    pub fn lines(&self) -> [(&'static str, &str); 4] {
        [
            ("CT log list", &self.ct_log_list),
            ("pins", &self.pins),
            ("catalog", &self.catalog),
            ("trust store", &self.trust_store),
        ]
    }
}
