//! Which analysis data a run used, with dates and origins, for the "Data
//! used" block under a text summary: the CT log list (built-in, saved by
//! `mitmwatch update`, or given with `--ct-log-list`) with the logs' states
//! over time (`certs/ct/log_history.json`), the static pins, the catalog of
//! interception roots and the trust store. A verdict depends on all of
//! them, so a report says which were in force.

use crate::analysis_data::catalog::Catalog;
use crate::analysis_data::static_pins::PinStore;
use crate::analysis_data::trust_store::TrustStore;
use crate::ct::{LogHistory, LogList};
use crate::model::DataUsed;
use crate::plural::count;
use time::OffsetDateTime;

/// Chrome's limit on the age of its static pins, in days (see
/// `analyze/pin_check.rs`, which applies it).
pub(crate) const PIN_DATA_MAX_AGE_DAYS: i64 = 70;

/// Building the record of [`DataUsed`] from the data in force.
impl DataUsed {
    /// Describes the data; `pins_source` names where the pins came from
    /// (`built-in certs/pins.json` or a file name). `at` is the validation
    /// time, or `None` when each observation is judged at its own time.
    pub fn new(
        ct: &LogList,
        pins: &PinStore,
        pins_source: &str,
        catalog: &Catalog,
        catalog_source: &str,
        trust: &TrustStore,
        at: Option<OffsetDateTime>,
    ) -> Self {
        DataUsed {
            // The analyzer judges with the built-in history of log states.
            ct_log_list: format!(
                "{}; log states over time: {}",
                ct.describe(),
                LogHistory::builtin().describe()
            ),
            pins: format!("{}{}", describe_pins(pins, pins_source), pins_age(pins, at)),
            catalog: format!("{catalog_source}, {} entries", catalog.entries().len()),
            trust_store: trust.description().to_string(),
        }
    }
}

/// `SOURCE (id DATE; id DATE, list expiry)`: the first ISO date in each
/// source's `date` text, which in `certs/pins.json` is the upstream file's
/// "Last updated" or its expiry.
fn describe_pins(pins: &PinStore, source: &str) -> String {
    let dates: Vec<String> = pins
        .sources
        .iter()
        .map(|(id, _, date)| match first_iso_date(date) {
            None => id.clone(),
            Some(d) if date.contains("expir") => format!("{id} {d}, list expiry"),
            Some(d) => format!("{id} {d}"),
        })
        .collect();
    if dates.is_empty() {
        source.to_string()
    } else {
        let mut dates = dates;
        dates.sort();
        format!("{source} ({})", dates.join("; "))
    }
}

/// How old the pins are at the validation time, and what that means for
/// publicly trusted chains (see `analyze/pin_check.rs`).
fn pins_age(pins: &PinStore, at: Option<OffsetDateTime>) -> String {
    let max = PIN_DATA_MAX_AGE_DAYS;
    match (pins.as_of, at) {
        (None, _) => "; undated, so taken as current".to_string(),
        (Some(day), Some(at)) => {
            let age = (at.date() - day).whole_days();
            let enforced = if age > max {
                format!("older than {max} days, so not enforced on publicly trusted chains")
            } else {
                "current".to_string()
            };
            format!(
                "; as of {day}, {} old at the validation time: {enforced}",
                count(usize::try_from(age).unwrap_or(0), "day", "days")
            )
        }
        (Some(day), None) => format!(
            "; as of {day}: enforced on publicly trusted chains only when at most {max} days old \
             at each observation's time"
        ),
    }
}

fn first_iso_date(text: &str) -> Option<&str> {
    let b = text.as_bytes();
    (0..b.len().saturating_sub(9)).find_map(|i| {
        let w = &b[i..i + 10];
        let digits = |r: std::ops::Range<usize>| w[r].iter().all(u8::is_ascii_digit);
        (digits(0..4) && w[4] == b'-' && digits(5..7) && w[7] == b'-' && digits(8..10))
            .then(|| &text[i..i + 10])
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_builtin_data_is_described_with_its_dates() {
        let d = DataUsed::new(
            &LogList::builtin(),
            &PinStore::builtin().unwrap(),
            "built-in certs/pins.json",
            &Catalog::builtin().unwrap(),
            "built-in catalog",
            &TrustStore::mozilla(),
            Some(time::macros::datetime!(2026-12-07 0:00 UTC)),
        );
        assert!(
            d.ct_log_list.starts_with(
                "built-in certs/ct/log_list.json (version 82.1, 2026-01-24T12:53:55Z), plus 152 older logs"
            ),
            "{}",
            d.ct_log_list
        );
        assert!(
            d.ct_log_list.ends_with(
                "; log states over time: built-in certs/ct/log_history.json: 271 states from 11 versions \
                 of Chrome's log list (3.52 of 2021-10-05 to 85.110 of 2026-06-16)"
            ),
            "{}",
            d.ct_log_list
        );
        assert_eq!(
            d.pins,
            "built-in certs/pins.json (chromium 2024-10-09; firefox 2027-01-15, list expiry); \
             as of 2024-10-09, 789 days old at the validation time: older than 70 days, so not \
             enforced on publicly trusted chains"
        );
        assert!(d.catalog.starts_with("built-in catalog, "), "{}", d.catalog);
        assert!(d.trust_store.starts_with("webpki-roots (Mozilla, "));
        assert_eq!(d.lines()[0].0, "CT log list");
    }

    #[test]
    fn dates_are_found_anywhere_and_only_whole() {
        assert_eq!(first_iso_date("x 2024-10-09 12:55"), Some("2024-10-09"));
        assert_eq!(first_iso_date("2024-1-09"), None);
        assert_eq!(first_iso_date(""), None);
        assert_eq!(first_iso_date("é2027-01-15"), Some("2027-01-15"));
    }
}
