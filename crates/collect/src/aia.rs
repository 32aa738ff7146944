//! Chain completion as browsers do it: when the served chain does not reach
//! an anchor of the scan's trust store, follow the caIssuers URLs of the
//! Authority Information Access extension (RFC 5280 4.2.2.1) of the
//! topmost served certificate, then of each fetched certificate, and record
//! what came back in [`Observation::fetched_issuers`], apart from the
//! served chain. The collector does not judge the fetched certificates;
//! the analyzer offers them to webpki as candidate intermediates.
//!
//! Only `http://` URLs are followed (CAs publish issuers over plain HTTP;
//! a TLS fetch of an issuer would need the issuer's own chain), with a
//! size limit, a time limit per fetch and per observation, at most
//! [`AiaLimits::max_redirects`] redirects (to `http://` only) and at most
//! [`AiaLimits::max_fetches`] requests per observation. A response may be
//! a DER certificate, PEM, or a PKCS#7 certs-only bundle (`.p7c`, read
//! with the `cms` crate).
//!
//! [`Observation::fetched_issuers`]: mitmwatch_core::model::Observation::fetched_issuers

use cms::cert::CertificateChoices;
use cms::content_info::ContentInfo;
use cms::signed_data::SignedData;
use der::asn1::ObjectIdentifier;
use der::Encode;
use mitmwatch_core::certinfo::cert_record;
use mitmwatch_core::model::{FetchOutcome, FetchedIssuer};
use rustls::pki_types::CertificateDer;
use std::collections::HashSet;
use std::time::Duration;
use x509_parser::asn1_rs::FromDer;
use x509_parser::extensions::{GeneralName, ParsedExtension};
use x509_parser::oid_registry::OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS;
use x509_parser::prelude::X509Certificate;

/// Bounds on the fetching done for one observation.
#[derive(Clone, Copy, Debug)]
pub struct AiaLimits {
    /// Largest response body accepted.
    pub max_bytes: usize,
    /// Time for one fetch, redirects included.
    pub per_fetch: Duration,
    /// Time for all the fetches of one observation.
    pub total: Duration,
    /// Redirects followed per fetch.
    pub max_redirects: u32,
    /// HTTP fetches per observation (skipped URLs do not count).
    pub max_fetches: usize,
    /// Levels followed: the served chain's top certificate's URLs are
    /// level 1, the URLs of what they returned level 2, and so on.
    pub max_depth: usize,
}

impl Default for AiaLimits {
    fn default() -> Self {
        AiaLimits {
            max_bytes: 64 * 1024,
            per_fetch: Duration::from_secs(5),
            total: Duration::from_secs(10),
            max_redirects: 3,
            max_fetches: 4,
            max_depth: 3,
        }
    }
}

/// URLs recorded per observation (fetched or skipped), so that a
/// certificate listing hundreds of URLs cannot bloat the record.
const MAX_RECORDS: usize = 12;
/// Certificates kept from one PKCS#7 bundle.
const MAX_BUNDLE_CERTS: usize = 8;
/// The signedData content type (RFC 5652 5.1).
const ID_SIGNED_DATA: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.2.840.113549.1.7.2");

/// Fetches missing issuers over HTTP; cheap to clone and share.
#[derive(Clone, Debug)]
pub struct AiaFetcher {
    limits: AiaLimits,
    agent: ureq::Agent,
}

impl AiaFetcher {
    /// A fetcher with these limits. It ignores proxy settings from the
    /// environment and follows redirects itself (to check their scheme).
    pub(crate) fn new(limits: AiaLimits) -> Self {
        let agent = ureq::Agent::config_builder()
            .proxy(None)
            .max_redirects(0)
            .http_status_as_error(false)
            .user_agent(format!(
                "mitmwatch/{} (AIA issuer fetch)",
                env!("CARGO_PKG_VERSION")
            ))
            .accept("application/pkix-cert, application/pkcs7-mime, */*")
            .timeout_global(Some(limits.per_fetch))
            .build()
            .new_agent();
        AiaFetcher { limits, agent }
    }

    /// Follows the caIssuers URLs above `served` (leaf first, as sent) level
    /// by level until `reaches_anchor` says the served intermediates plus
    /// what was fetched lead to an anchor, or a limit is reached. Never
    /// fails: each URL's fate is a record.
    pub(crate) async fn complete(
        &self,
        served: &[CertificateDer<'static>],
        reaches_anchor: impl Fn(&[CertificateDer<'static>]) -> bool,
    ) -> Vec<FetchedIssuer> {
        let deadline = tokio::time::Instant::now() + self.limits.total;
        let mut records: Vec<FetchedIssuer> = Vec::new();
        let mut seen = HashSet::new();
        let mut fetches = 0;
        let mut candidates: Vec<CertificateDer<'static>> = served.iter().skip(1).cloned().collect();
        // A self-signed top is a root the trust store lacks: nothing to fetch.
        let mut level: Vec<Vec<u8>> = match chain_top(served) {
            Some(top) if !self_issued(top) => vec![top.to_vec()],
            _ => return records,
        };
        for _ in 0..self.limits.max_depth {
            let mut next = Vec::new();
            for cert in &level {
                let for_cert = mitmwatch_core::model::Fingerprint::of(cert);
                for url in ca_issuer_urls(cert) {
                    if records.len() >= MAX_RECORDS {
                        return records;
                    }
                    if !seen.insert(url.clone()) {
                        continue;
                    }
                    let mut record = FetchedIssuer {
                        url: url.clone(),
                        for_cert,
                        outcome: FetchOutcome::Ok,
                        detail: None,
                        certificates: Vec::new(),
                    };
                    if let Err(why) = check_scheme(&url) {
                        record.outcome = FetchOutcome::SkippedScheme;
                        record.detail = Some(why);
                    } else if fetches >= self.limits.max_fetches {
                        record.outcome = FetchOutcome::SkippedLimit;
                        record.detail = Some(format!(
                            "at most {} fetches per observation",
                            self.limits.max_fetches
                        ));
                    } else {
                        fetches += 1;
                        match self.fetch(&url, deadline).await {
                            Ok((certs, hops)) => {
                                record.detail = hops;
                                record.certificates =
                                    certs.iter().map(|c| cert_record(c)).collect();
                                next.extend(certs.iter().cloned());
                                candidates.extend(certs.into_iter().map(CertificateDer::from));
                            }
                            Err((outcome, why)) => {
                                record.outcome = outcome;
                                record.detail = Some(why);
                            }
                        }
                    }
                    records.push(record);
                }
            }
            if next.is_empty() || reaches_anchor(&candidates) {
                break;
            }
            // A self-issued certificate is a root: nothing above it to fetch.
            next.retain(|der| !self_issued(der));
            level = next;
        }
        records
    }

    /// One fetch, within the per-fetch limit and what is left of `deadline`.
    async fn fetch(
        &self,
        url: &str,
        deadline: tokio::time::Instant,
    ) -> Result<(Vec<Vec<u8>>, Option<String>), (FetchOutcome, String)> {
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        if left.is_zero() {
            return Err((
                FetchOutcome::Timeout,
                format!(
                    "not fetched: the {:?} allowed for all fetches of this observation were spent",
                    self.limits.total
                ),
            ));
        }
        let budget = left.min(self.limits.per_fetch);
        let (agent, limits, url_owned) = (self.agent.clone(), self.limits, url.to_string());
        let job = tokio::task::spawn_blocking(move || {
            fetch_blocking(&agent, &limits, &url_owned, budget)
        });
        // ureq enforces the budget; the outer limit only guards against a stuck thread.
        match tokio::time::timeout(budget + Duration::from_secs(1), job).await {
            Err(_) => Err((
                FetchOutcome::Timeout,
                format!("no answer within {budget:?}"),
            )),
            Ok(Err(e)) => Err((FetchOutcome::HttpError, format!("internal error: {e}"))),
            Ok(Ok(Err(e))) => Err(e),
            Ok(Ok(Ok((body, hops)))) => {
                let certs =
                    parse_issuers(&body).map_err(|why| (FetchOutcome::NotACertificate, why))?;
                Ok((certs, hops))
            }
        }
    }
}

/// `Err(why)` unless `url` is an `http://` URL.
fn check_scheme(url: &str) -> Result<(), String> {
    let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
    match scheme.as_deref() {
        Some("http") => Ok(()),
        Some("https") => Err(
            "https:// is not followed (fetching an issuer over TLS needs a chain of its own; \
             CAs publish issuers over plain HTTP)"
                .into(),
        ),
        Some(other) => Err(format!("{other}:// is not followed (only http:// is)")),
        None => Err("not a URL".into()),
    }
}

/// GET `url`, following at most `limits.max_redirects` redirects to
/// `http://` URLs, all within `budget`. Returns the body and, when there
/// were redirects, a note of them.
fn fetch_blocking(
    agent: &ureq::Agent,
    limits: &AiaLimits,
    url: &str,
    budget: Duration,
) -> Result<(Vec<u8>, Option<String>), (FetchOutcome, String)> {
    let started = std::time::Instant::now();
    let mut current = url.to_string();
    let mut hops = Vec::new();
    loop {
        let left = budget.saturating_sub(started.elapsed());
        if left.is_zero() {
            return Err((
                FetchOutcome::Timeout,
                format!("no answer within {budget:?}"),
            ));
        }
        let mut response = agent
            .get(&current)
            .config()
            .timeout_global(Some(left))
            .build()
            .call()
            .map_err(|e| classify(e, limits, budget))?;
        let status = response.status();
        if status.is_redirection() {
            let location = response
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .ok_or_else(|| {
                    (
                        FetchOutcome::HttpError,
                        format!("HTTP {} without a usable Location header", status.as_u16()),
                    )
                })?;
            let target = resolve_location(&current, location);
            if hops.len() as u32 >= limits.max_redirects {
                return Err((
                    FetchOutcome::TooManyRedirects,
                    format!(
                        "more than {} redirects (last to {target})",
                        limits.max_redirects
                    ),
                ));
            }
            check_scheme(&target).map_err(|why| {
                (
                    FetchOutcome::SkippedScheme,
                    format!("redirected to {target}: {why}"),
                )
            })?;
            hops.push(target.clone());
            current = target;
            continue;
        }
        if !status.is_success() {
            return Err((FetchOutcome::HttpError, format!("HTTP {}", status.as_u16())));
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(limits.max_bytes as u64)
            .read_to_vec()
            .map_err(|e| classify(e, limits, budget))?;
        let note = (!hops.is_empty()).then(|| format!("redirected to {}", hops.join(", then ")));
        return Ok((body, note));
    }
}

/// A redirect's `Location`, absolute (`http://…`) or relative to the host.
fn resolve_location(current: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let (scheme, rest) = current.split_once("://").unwrap_or(("http", current));
    let authority = rest.split('/').next().unwrap_or(rest);
    if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let base = rest.rsplit_once('/').map(|(b, _)| b).unwrap_or(authority);
        format!("{scheme}://{base}/{location}")
    }
}

fn classify(e: ureq::Error, limits: &AiaLimits, budget: Duration) -> (FetchOutcome, String) {
    match e {
        ureq::Error::Timeout(_) => (
            FetchOutcome::Timeout,
            format!("no answer within {budget:?}"),
        ),
        ureq::Error::Io(io) if io.kind() == std::io::ErrorKind::TimedOut => (
            FetchOutcome::Timeout,
            format!("no answer within {budget:?}"),
        ),
        ureq::Error::BodyExceedsLimit(_) => (
            FetchOutcome::TooLarge,
            format!("the response is larger than {} bytes", limits.max_bytes),
        ),
        other => (FetchOutcome::HttpError, other.to_string()),
    }
}

/// The served certificate whose issuer the server did not send: follow
/// issuer names from the leaf through the served certificates.
fn chain_top<'a>(served: &'a [CertificateDer<'static>]) -> Option<&'a [u8]> {
    let parsed: Vec<Option<X509Certificate<'_>>> = served
        .iter()
        .map(|c| X509Certificate::from_der(c).ok().map(|(_, x)| x))
        .collect();
    let mut at = 0;
    parsed.first()?.as_ref()?;
    for _ in 0..served.len() {
        let Some(current) = &parsed[at] else { break };
        let issuer = current.issuer().as_raw();
        let next = parsed.iter().enumerate().position(|(i, p)| {
            i != at && p.as_ref().is_some_and(|p| p.subject().as_raw() == issuer)
        });
        match next {
            Some(i) if current.subject().as_raw() != issuer => at = i,
            _ => break,
        }
    }
    Some(served[at].as_ref())
}

fn self_issued(der: &[u8]) -> bool {
    X509Certificate::from_der(der)
        .map(|(_, c)| c.subject().as_raw() == c.issuer().as_raw())
        .unwrap_or(false)
}

/// The caIssuers URLs of a certificate's AIA extension, in order (at most
/// a few: certificates list one or two).
pub(crate) fn ca_issuer_urls(der: &[u8]) -> Vec<String> {
    let Ok((_, cert)) = X509Certificate::from_der(der) else {
        return Vec::new();
    };
    let mut urls = Vec::new();
    for ext in cert.extensions() {
        if let ParsedExtension::AuthorityInfoAccess(aia) = ext.parsed_extension() {
            for desc in aia.iter() {
                if desc.access_method == OID_PKIX_ACCESS_DESCRIPTOR_CA_ISSUERS {
                    if let GeneralName::URI(uri) = &desc.access_location {
                        urls.push(uri.to_string());
                    }
                }
            }
        }
    }
    urls.truncate(8);
    urls
}

/// The certificates in an AIA response: one DER certificate, PEM
/// CERTIFICATE blocks, or a PKCS#7 certs-only SignedData (DER). `Err`
/// says what the bytes were not.
pub fn parse_issuers(body: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let trimmed = body.trim_ascii_start();
    if trimmed.starts_with(b"-----BEGIN") {
        let certs: Vec<Vec<u8>> =
            mitmwatch_core::analysis_data::trust_store::pem_certificate_blocks(trimmed)
                .into_iter()
                .filter_map(|(_, block)| block.ok())
                .filter(|der| X509Certificate::from_der(der).is_ok())
                .map(|der| der.to_vec())
                .take(MAX_BUNDLE_CERTS)
                .collect();
        if certs.is_empty() {
            return Err(format!(
                "PEM text ({} bytes) without a valid CERTIFICATE block",
                body.len()
            ));
        }
        return Ok(certs);
    }
    if let Ok((rest, _)) = X509Certificate::from_der(body) {
        if rest.is_empty() {
            return Ok(vec![body.to_vec()]);
        }
    }
    let certs = pkcs7_certificates(body).map_err(|e| {
        format!(
            "{} bytes that are neither a DER certificate, PEM nor PKCS#7 certs-only ({e})",
            body.len()
        )
    })?;
    let valid: Vec<Vec<u8>> = certs
        .into_iter()
        .filter(|der| X509Certificate::from_der(der).is_ok())
        .collect();
    if valid.is_empty() {
        return Err("a PKCS#7 bundle without a valid certificate".into());
    }
    Ok(valid)
}

/// The certificates of a DER PKCS#7 / CMS SignedData (RFC 2315 9.1; RFC
/// 5652 5.1), decoded by the `cms` crate, as served and in the order
/// served (at most [`MAX_BUNDLE_CERTS`]).
///
/// `cms` decodes each certificate into `x509-cert`'s types and sorts the
/// SET OF as DER requires, so the bytes it gives back are a re-encoding.
/// What is kept are the bytes the server sent (a fingerprint must be the
/// served certificate's): each re-encoded certificate must occur verbatim
/// in the response, which also gives its position. A certificate that is
/// not in canonical DER (its re-encoding differs) is left out.
fn pkcs7_certificates(body: &[u8]) -> Result<Vec<Vec<u8>>, der::Error> {
    let info = <ContentInfo as der::Decode>::from_der(body)?;
    if info.content_type != ID_SIGNED_DATA {
        return Err(der::ErrorKind::OidUnknown {
            oid: info.content_type,
        }
        .into());
    }
    let signed: SignedData = info.content.decode_as()?;
    let mut found: Vec<(usize, Vec<u8>)> = Vec::new();
    for choice in signed.certificates.iter().flat_map(|set| set.0.iter()) {
        let CertificateChoices::Certificate(cert) = choice else {
            continue;
        };
        let der = cert.to_der()?;
        if let Some(at) = body.windows(der.len()).position(|w| w == der.as_slice()) {
            found.push((at, der));
        }
    }
    found.sort_by_key(|(at, _)| *at);
    Ok(found
        .into_iter()
        .take(MAX_BUNDLE_CERTS)
        .map(|(_, der)| der)
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cert(name: &str) -> Vec<u8> {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec![name.to_string()]).unwrap();
        params.self_signed(&key).unwrap().der().to_vec()
    }

    fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
        let mut v = vec![tag];
        let n = body.len();
        if n < 128 {
            v.push(n as u8);
        } else if n < 256 {
            v.extend([0x81, n as u8]);
        } else {
            v.extend([0x82, (n >> 8) as u8, n as u8]);
        }
        v.extend_from_slice(body);
        v
    }

    /// A certs-only SignedData as `openssl crl2pkcs7 -nocrl` writes it.
    fn p7(certs: &[Vec<u8>]) -> Vec<u8> {
        let signed = [
            tlv(0x02, &[1]),
            tlv(0x31, &[]),
            tlv(
                0x30,
                &tlv(
                    0x06,
                    &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x07, 0x01],
                ),
            ),
            tlv(0xa0, &certs.concat()),
            tlv(0x31, &[]),
        ]
        .concat();
        tlv(
            0x30,
            &[
                tlv(0x06, ID_SIGNED_DATA.as_bytes()),
                tlv(0xa0, &tlv(0x30, &signed)),
            ]
            .concat(),
        )
    }

    #[test]
    fn der_pem_and_pkcs7_are_read() {
        let (a, b) = (cert("a.example"), cert("b.example"));
        assert_eq!(parse_issuers(&a).unwrap(), vec![a.clone()]);
        let pem = mitmwatch_core::encoding::pem_encode("CERTIFICATE", &a);
        assert_eq!(parse_issuers(pem.as_bytes()).unwrap(), vec![a.clone()]);
        assert_eq!(
            parse_issuers(&p7(&[a.clone(), b.clone()])).unwrap(),
            vec![a.clone(), b.clone()]
        );
        // `cms` sorts the SET OF; the certificates come back as served.
        assert_eq!(
            parse_issuers(&p7(&[b.clone(), a.clone()])).unwrap(),
            vec![b, a]
        );
    }

    /// Real certificates (the shipped intermediates, the real chains of
    /// fixtures/real) survive cms's decoding and re-encoding byte for byte,
    /// so none is dropped for not being found verbatim.
    #[test]
    fn real_ca_certificates_come_back_byte_for_byte() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
        let mut certs: Vec<Vec<u8>> = Vec::new();
        for dir in [
            "certs/intermediates",
            "fixtures/real/public-2026",
            "fixtures/real/sha1-2014",
        ] {
            let mut files: Vec<_> = std::fs::read_dir(root.join(dir))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|x| x == "pem"))
                .collect();
            files.sort();
            for file in files {
                let pem = std::fs::read(&file).unwrap();
                let name = file.display().to_string();
                let parsed =
                    mitmwatch_core::analysis_data::trust_store::parse_pem_certs(&pem, &name)
                        .unwrap();
                for cert in parsed {
                    // A SET OF holds each certificate once.
                    if !certs.iter().any(|c| c[..] == cert[..]) {
                        certs.push(cert.to_vec());
                    }
                }
            }
        }
        assert!(certs.len() >= 40, "{} certificates", certs.len());
        for group in certs.chunks(MAX_BUNDLE_CERTS) {
            assert_eq!(parse_issuers(&p7(group)).unwrap(), group.to_vec());
        }
    }

    #[test]
    fn a_signed_data_of_another_content_type_is_refused() {
        let bundle = p7(&[cert("a.example")]);
        // enveloped-data (1.2.840.113549.1.7.3) instead of signed-data.
        let at = bundle
            .windows(ID_SIGNED_DATA.as_bytes().len())
            .position(|w| w == ID_SIGNED_DATA.as_bytes())
            .unwrap();
        let mut other = bundle.clone();
        other[at + ID_SIGNED_DATA.as_bytes().len() - 1] = 3;
        let e = parse_issuers(&other).unwrap_err();
        assert!(e.contains("neither a DER certificate"), "{e}");
    }

    #[test]
    fn garbage_and_truncations_are_refused_without_panic() {
        assert!(parse_issuers(b"<html>not found</html>").is_err());
        assert!(parse_issuers(b"").is_err());
        assert!(parse_issuers(&p7(&[])).is_err());
        let bundle = p7(&[cert("a.example")]);
        for n in 0..bundle.len() {
            assert!(parse_issuers(&bundle[..n]).is_err(), "prefix of {n} bytes");
        }
    }

    #[test]
    fn only_http_is_followed() {
        assert!(check_scheme("http://x.example/ca.der").is_ok());
        assert!(check_scheme("HTTP://x.example/ca.der").is_ok());
        assert!(check_scheme("https://x.example/ca.der").is_err());
        assert!(check_scheme("ldap://x.example/cn=ca").is_err());
        assert!(check_scheme("ca.der").is_err());
    }

    #[test]
    fn relative_redirects_resolve_against_the_current_url() {
        assert_eq!(
            resolve_location("http://a.example:8/x/y.der", "/z.der"),
            "http://a.example:8/z.der"
        );
        assert_eq!(
            resolve_location("http://a.example/x/y.der", "z.der"),
            "http://a.example/x/z.der"
        );
        assert_eq!(
            resolve_location("http://a.example/y", "https://b.example/"),
            "https://b.example/"
        );
    }
}
