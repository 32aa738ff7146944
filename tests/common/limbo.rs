//! Loading the x509-limbo data vendored in `fixtures/limbo/` (see its
//! README.md and convert.py): the certificate table, the online chains of
//! every version of limbo's history, and the synthetic path-validation
//! cases (limbo's own and BetterTLS's).

use flate2::read::GzDecoder;
use serde::Deserialize;
use std::io::Read;
use std::path::PathBuf;
use std::sync::OnceLock;
use time::OffsetDateTime;

/// Path of a file under fixtures/limbo/.
pub(crate) fn limbo_file(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/limbo")
        .join(name)
}

/// The unpacked bytes of a gzip file under fixtures/limbo/.
pub(crate) fn read_gz(name: &str) -> Vec<u8> {
    let path = limbo_file(name);
    let file = std::fs::File::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut bytes = Vec::new();
    GzDecoder::new(file)
        .read_to_end(&mut bytes)
        .unwrap_or_else(|e| panic!("{}: not gzip: {e}", path.display()));
    bytes
}

/// The certificates of `certificates.bin.gz`: each a 4-byte big-endian
/// length and that many bytes of DER. An error names the byte offset.
pub(crate) fn certificate_table(bytes: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut certs = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let Some(len) = bytes.get(at..at + 4) else {
            return Err(format!("offset {at}: truncated length"));
        };
        let len = u32::from_be_bytes(len.try_into().unwrap()) as usize;
        let Some(der) = bytes.get(at + 4..at + 4 + len) else {
            return Err(format!(
                "offset {at}: certificate #{} claims {len} bytes, {} left",
                certs.len(),
                bytes.len() - at - 4
            ));
        };
        certs.push(der.to_vec());
        at += 4 + len;
    }
    Ok(certs)
}

/// Where a file's data came from: a repository and a commit.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RepoSource {
    pub(crate) repository: String,
    pub(crate) commit: String,
    pub(crate) license: String,
}

/// `online.json.gz`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OnlineFile {
    pub(crate) schema: u32,
    pub(crate) source: OnlineSource,
    pub(crate) chains: Vec<OnlineChain>,
}

/// The history the online chains were read from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OnlineSource {
    pub(crate) repository: String,
    pub(crate) branch: String,
    pub(crate) head: String,
    pub(crate) path: String,
    pub(crate) license: String,
}

/// One distinct chain a popular site served, as limbo recorded it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OnlineChain {
    /// The site (limbo's expected peer name).
    pub(crate) site: String,
    /// Leaf and intermediates, in order (indexes into the certificate table).
    pub(crate) chain: Vec<usize>,
    /// The root(s) limbo's verification ended at.
    pub(crate) trusted_certs: Vec<usize>,
    /// limbo's validation time: the leaf's notBefore + 1 s.
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) validation_time: OffsetDateTime,
    /// The limbo case ids this chain was recorded under.
    pub(crate) limbo_ids: Vec<String>,
    /// The commits that wrote this chain into limbo's history.
    pub(crate) commits: Vec<OnlineCommit>,
}

/// A commit of limbo that wrote an online chain.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct OnlineCommit {
    pub(crate) commit: String,
    #[serde(with = "time::serde::rfc3339")]
    pub(crate) date: OffsetDateTime,
    pub(crate) path: String,
}

/// `synthetic.json.gz`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyntheticFile {
    pub(crate) schema: u32,
    pub(crate) source: SyntheticSource,
    pub(crate) cases: Vec<SyntheticCase>,
}

/// The generators of the synthetic cases.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyntheticSource {
    pub(crate) limbo: RepoSource,
    pub(crate) bettertls: RepoSource,
    pub(crate) note: String,
    pub(crate) left_out: LeftOut,
}

/// limbo cases not in `synthetic.json.gz`, by reason.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct LeftOut {
    /// `online::*`: `online.json.gz` has every version of them.
    pub(crate) online: usize,
    /// Client-certificate validation, which mitmwatch does not judge.
    pub(crate) client: usize,
}

/// limbo's expected result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub(crate) enum Expected {
    /// A correct verifier accepts the chain.
    Success,
    /// A correct verifier rejects it.
    Failure,
}

/// limbo's peer name kinds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub(crate) enum PeerKind {
    /// A DNS name.
    #[serde(rename = "DNS")]
    Dns,
    /// An IP address.
    #[serde(rename = "IP")]
    Ip,
    /// An RFC 822 name (client cases only).
    #[serde(rename = "RFC822")]
    Rfc822,
}

/// A name the peer must be valid for.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct PeerName {
    pub(crate) kind: PeerKind,
    pub(crate) value: String,
}

/// One limbo test case (limbo's `Testcase` fields; certificates as indexes
/// into the certificate table; the leaf's private key left out).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SyntheticCase {
    pub(crate) id: String,
    pub(crate) description: String,
    pub(crate) features: Vec<String>,
    pub(crate) importance: String,
    pub(crate) conflicts_with: Vec<String>,
    pub(crate) validation_kind: String,
    pub(crate) expected_result: Expected,
    pub(crate) expected_peer_name: Option<PeerName>,
    pub(crate) expected_peer_names: Vec<PeerName>,
    /// None: limbo's "now".
    #[serde(with = "time::serde::rfc3339::option")]
    pub(crate) validation_time: Option<OffsetDateTime>,
    pub(crate) signature_algorithms: Vec<String>,
    pub(crate) key_usage: Vec<String>,
    pub(crate) extended_key_usage: Vec<String>,
    pub(crate) max_chain_depth: Option<u32>,
    /// CRLs, PEM.
    pub(crate) crls: Vec<String>,
    pub(crate) peer_certificate: usize,
    pub(crate) untrusted_intermediates: Vec<usize>,
    pub(crate) trusted_certs: Vec<usize>,
}

impl SyntheticCase {
    /// The served chain: the leaf, then the untrusted intermediates in
    /// limbo's order.
    pub(crate) fn chain(&self) -> Vec<usize> {
        std::iter::once(self.peer_certificate)
            .chain(self.untrusted_intermediates.iter().copied())
            .collect()
    }
}

/// Everything in fixtures/limbo/, loaded once per test binary.
pub(crate) struct LimboData {
    pub(crate) certs: Vec<Vec<u8>>,
    pub(crate) online: OnlineFile,
    pub(crate) synthetic: SyntheticFile,
}

fn parse_json<T: for<'de> Deserialize<'de>>(name: &str) -> T {
    let bytes = read_gz(name);
    serde_json::from_slice(&bytes).unwrap_or_else(|e| {
        panic!(
            "fixtures/limbo/{name}: line {} column {}: {e}",
            e.line(),
            e.column()
        )
    })
}

/// The vendored data (loaded on first use).
pub(crate) fn limbo_data() -> &'static LimboData {
    static DATA: OnceLock<LimboData> = OnceLock::new();
    DATA.get_or_init(|| LimboData {
        certs: certificate_table(&read_gz("certificates.bin.gz"))
            .unwrap_or_else(|e| panic!("fixtures/limbo/certificates.bin.gz: {e}")),
        online: parse_json("online.json.gz"),
        synthetic: parse_json("synthetic.json.gz"),
    })
}

impl LimboData {
    /// The DER certificates at these places of the table.
    pub(crate) fn ders(&self, indexes: &[usize]) -> Vec<&[u8]> {
        indexes.iter().map(|&i| self.certs[i].as_slice()).collect()
    }
}
