//! Static public-key pins shipped by Chromium and Firefox (`certs/pins.json`,
//! provenance in `certs/PINS.md`). Browsers skip these pins when a chain
//! ends in a locally installed root, which is exactly when interception
//! happens, so mitmwatch checks them itself.

use crate::encoding::base64_decode;
use crate::model::Fingerprint;
use serde::Deserialize;
use std::collections::HashMap;

/// `certs/pins.json`.
pub(crate) const PINS_JSON: &str = include_str!("../../../../certs/pins.json");

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPins {
    schema: u32,
    #[allow(dead_code)]
    description: String,
    sources: Vec<RawSource>,
    /// The day the newest source was last updated (`YYYY-MM-DD`).
    #[serde(default)]
    as_of: Option<String>,
    pinsets: Vec<RawPinset>,
    entries: Vec<RawEntry>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: String,
    #[serde(rename = "where")]
    location: String,
    date: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPinset {
    name: String,
    /// `chromium` or `firefox`: required by the format, not used by the check.
    #[serde(rename = "source")]
    _source: String,
    spki: Vec<RawPin>,
    bad_spki: Vec<RawPin>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPin {
    name: String,
    sha256: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawEntry {
    host: String,
    include_subdomains: bool,
    pinset: String,
    source: String,
}

/// One named SPKI hash.
#[derive(Clone, Debug)]
pub(crate) struct Pin {
    /// SHA-256 of the SPKI.
    pub(crate) sha256: Fingerprint,
}

/// A set of acceptable (and explicitly unacceptable) keys.
#[derive(Clone, Debug)]
pub(crate) struct Pinset {
    /// e.g. `chromium-google`.
    pub(crate) name: String,
    /// Keys of which at least one must appear in the chain.
    pub(crate) spki: Vec<Pin>,
    /// Keys that must not appear.
    pub(crate) bad_spki: Vec<Pin>,
}

impl Pinset {
    /// Whether a chain with these SPKI hashes satisfies the pinset.
    pub(crate) fn accepts(&self, chain_spki: &[Fingerprint]) -> bool {
        let good = self.spki.iter().any(|p| chain_spki.contains(&p.sha256));
        let bad = self.bad_spki.iter().any(|p| chain_spki.contains(&p.sha256));
        good && !bad
    }
}

#[derive(Clone, Debug)]
struct HostPin {
    include_subdomains: bool,
    pinset: usize,
    source: String,
}

/// The pin data with a host index.
#[derive(Clone, Debug, Default)]
pub struct PinStore {
    pinsets: Vec<Pinset>,
    hosts: HashMap<String, Vec<HostPin>>,
    /// Where the data came from, per source id.
    pub(crate) sources: Vec<(String, String, String)>,
    /// When the pin data was last updated upstream, if the file says.
    pub as_of: Option<time::Date>,
}

/// A pin rule that applies to a host.
#[derive(Clone, Debug)]
pub(crate) struct ApplicablePin<'a> {
    /// The entry's host (the host itself or a parent domain).
    pub(crate) entry_host: String,
    /// Its pinset.
    pub(crate) pinset: &'a Pinset,
}

/// Why pin data (`certs/pins.json` or `--pins FILE`) was refused.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PinDataError {
    /// Not JSON of the expected shape.
    #[error("pins: {0}")]
    Json(serde_json::Error),
    /// A `schema` this version does not read.
    #[error("pins: unsupported schema {0}")]
    Schema(u32),
    /// A pin whose value is not the base64 of a SHA-256.
    #[error("pin {name}: {reason}")]
    BadPin {
        /// The pin's name.
        name: String,
        /// What is wrong with its value.
        reason: String,
    },
    /// A host entry naming a pinset that is not in the file.
    #[error("pins: {host} refers to unknown pinset {pinset}")]
    UnknownPinset {
        /// The host entry.
        host: String,
        /// The pinset it names.
        pinset: String,
    },
    /// `as_of` that is not a date.
    #[error("pins: as_of {value:?} is not a YYYY-MM-DD date: {reason}")]
    AsOf {
        /// The text given.
        value: String,
        /// Why it does not parse.
        reason: String,
    },
}

impl PinStore {
    /// The built-in pins.
    pub fn builtin() -> Result<Self, PinDataError> {
        Self::from_json(PINS_JSON)
    }

    /// No pins at all.
    pub fn empty() -> Self {
        PinStore::default()
    }

    /// Parses pin data in the `certs/pins.json` format.
    pub fn from_json(text: &str) -> Result<Self, PinDataError> {
        let raw: RawPins = serde_json::from_str(text).map_err(PinDataError::Json)?;
        if raw.schema != 1 {
            return Err(PinDataError::Schema(raw.schema));
        }
        let decode = |p: &RawPin| -> Result<Pin, PinDataError> {
            let bad = |reason: String| PinDataError::BadPin {
                name: p.name.clone(),
                reason,
            };
            let bytes = base64_decode(&p.sha256).map_err(|e| bad(e.to_string()))?;
            let sha256 =
                <[u8; 32]>::try_from(bytes.as_slice()).map_err(|_| bad("not a SHA-256".into()))?;
            Ok(Pin {
                sha256: sha256.into(),
            })
        };
        let mut store = PinStore::default();
        for set in &raw.pinsets {
            store.pinsets.push(Pinset {
                name: set.name.clone(),
                spki: set.spki.iter().map(decode).collect::<Result<_, _>>()?,
                bad_spki: set.bad_spki.iter().map(decode).collect::<Result<_, _>>()?,
            });
        }
        for entry in raw.entries {
            let pinset = store
                .pinsets
                .iter()
                .position(|p| p.name == entry.pinset)
                .ok_or_else(|| PinDataError::UnknownPinset {
                    host: entry.host.clone(),
                    pinset: entry.pinset.clone(),
                })?;
            store.hosts.entry(entry.host).or_default().push(HostPin {
                include_subdomains: entry.include_subdomains,
                pinset,
                source: entry.source,
            });
        }
        if let Some(day) = &raw.as_of {
            let format = time::macros::format_description!("[year]-[month]-[day]");
            store.as_of = Some(
                time::Date::parse(day, format).map_err(|e| PinDataError::AsOf {
                    value: day.clone(),
                    reason: e.to_string(),
                })?,
            );
        }
        store.sources = raw
            .sources
            .into_iter()
            .map(|s| (s.id, s.location, s.date))
            .collect();
        Ok(store)
    }

    /// The pinsets that apply to `host`: per source, the most specific entry
    /// (the host itself, else the closest parent with include_subdomains).
    pub(crate) fn applicable(&self, host: &str) -> Vec<ApplicablePin<'_>> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        let mut found: Vec<ApplicablePin<'_>> = Vec::new();
        let mut sources_done: Vec<&str> = Vec::new();
        let mut candidate: &str = &host;
        let mut exact = true;
        loop {
            if let Some(pins) = self.hosts.get(candidate) {
                for pin in pins {
                    if (exact || pin.include_subdomains)
                        && !sources_done.contains(&pin.source.as_str())
                    {
                        found.push(ApplicablePin {
                            entry_host: candidate.to_string(),
                            pinset: &self.pinsets[pin.pinset],
                        });
                    }
                }
                for pin in pins {
                    if exact || pin.include_subdomains {
                        sources_done.push(&pin.source);
                    }
                }
            }
            match candidate.split_once('.') {
                Some((_, parent)) if !parent.is_empty() => {
                    candidate = parent;
                    exact = false;
                }
                _ => break,
            }
        }
        found
    }
}

/// Pin data for a simulated world: the built-in hosts and pinsets, with
/// every pinset's keys replaced by `spki_sha256` (named `name`). A
/// simulation cannot hold the real pinned CAs' keys, so its public root
/// plays their part.
pub fn pins_json_for_simulation(name: &str, spki_sha256: &Fingerprint) -> String {
    let mut doc: serde_json::Value =
        serde_json::from_str(PINS_JSON).expect("the built-in pin data is JSON");
    doc["description"] = serde_json::Value::String(format!(
        "mitmwatch simulation: the built-in pinned hosts, pinned to the simulated public root {name}"
    ));
    let pin = serde_json::json!([{ "name": name, "sha256": spki_sha256.to_base64() }]);
    if let Some(sets) = doc["pinsets"].as_array_mut() {
        for set in sets {
            set["spki"] = pin.clone();
            set["bad_spki"] = serde_json::json!([]);
        }
    }
    serde_json::to_string_pretty(&doc).expect("JSON serialises") + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_pins_load_and_cover_google_and_facebook() {
        let pins = PinStore::builtin().unwrap();
        let google = pins.applicable("mail.google.com");
        assert!(google.iter().any(|p| p.pinset.name == "chromium-google"));
        assert!(!pins.applicable("www.facebook.com").is_empty());
        assert!(pins.applicable("example.com").is_empty());
        assert!(pins.applicable("wikipedia.org").is_empty());
    }
}
