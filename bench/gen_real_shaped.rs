//! Generates the benchmark corpus of real-shaped chains (issue 22): COUNT
//! observations, each of a distinct leaf, shaped like the chains popular
//! sites serve (x509-limbo's 279 online chains, `fixtures/limbo/`, were the
//! model): the leaf and one intermediate are sent, the root is not; the
//! leaf embeds two or three SCTs signed by CT log keys; a handful of
//! intermediates repeat across the corpus. In 20 leaves:
//!
//! | leaves | leaf key | signed by | like limbo's |
//! |---|---|---|---|
//! | 9 | ECDSA P-256 | RSA-2048 intermediate, sha256WithRSAEncryption | 135 of 279 |
//! | 4 | RSA-2048 | RSA-2048 intermediate, sha256WithRSAEncryption | 53 |
//! | 2 | RSA-2048 | RSA-4096 intermediate, sha384WithRSAEncryption | 34 |
//! | 3 | ECDSA P-256 | P-256 intermediate, ecdsa-with-SHA256 | 38 |
//! | 2 | ECDSA P-256 | P-384 intermediate, ecdsa-with-SHA384 | 19 |
//!
//! RSA leaf keys come from KEY_DIR (ring cannot make RSA keys; `bench/run.sh`
//! makes them with openssl, once): each is used once, and when they run
//! out the leaf gets an ECDSA key instead (the leaf's own key costs an
//! analyzer nothing to speak of: it is its issuer's that is verified). The
//! logs are the simulation's (`mitmwatch_sim::ct_logs`): three with ECDSA
//! P-256 keys and one with an RSA-2048 key, of four operators; every SCT of a
//! leaf comes from another log, so each leaf meets Chrome's and Apple's
//! policies. Leaves carry what real ones do besides: key usage, extended
//! key usage, authority and subject key identifiers, CRL distribution
//! point, AIA (OCSP and CA issuers) and a certificate policy.
//!
//! Usage: gen-real-shaped COUNT KEY_DIR OUT_DIR
//! KEY_DIR holds root-rsa.key and int-rsa4096.key (RSA-4096), int-rsa-a.key,
//! int-rsa-b.key and log-rsa.key (RSA-2048), and leaf-rsa-N.key for N = 0, 1,
//! … (RSA-2048), all PKCS#8 PEM. Writes OUT_DIR/corpus.jsonl, OUT_DIR/roots.pem
//! (the two roots) and OUT_DIR/log_list.json (the four logs, Chrome's v3
//! format). Judge it `--at 2026-06-01T00:00:00Z`: every leaf is valid then.

use mitmwatch_core::ct::{LogList, LogState, StateKind};
use mitmwatch_core::import::pem_dir::file_observation;
use mitmwatch_core::model::{Observation, TlsParams};
use mitmwatch_sim::ct_logs::{issue_with_scts, SigningLog};
use rcgen::{
    BasicConstraints, CertificateParams, CrlDistributionPoint, CustomExtension, DnType,
    ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose, PublicKeyData,
    SignatureAlgorithm, PKCS_ECDSA_P256_SHA256, PKCS_ECDSA_P384_SHA384, PKCS_RSA_SHA256,
    PKCS_RSA_SHA384,
};
use std::io::Write;
use std::path::Path;
use time::macros::datetime;
use time::Duration;

type Error = Box<dyn std::error::Error + Send + Sync>;

/// A DER TLV with a short or long length.
fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}

/// Authority Information Access: OCSP responder and CA issuers URLs.
fn aia(ocsp: &str, ca_issuers: &str) -> CustomExtension {
    // id-ad-ocsp 1.3.6.1.5.5.7.48.1 and id-ad-caIssuers 1.3.6.1.5.5.7.48.2.
    let access = |method: u8, url: &str| {
        let mut body = tlv(0x06, &[0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, method]);
        body.extend(tlv(0x86, url.as_bytes()));
        tlv(0x30, &body)
    };
    let mut list = access(1, ocsp);
    list.extend(access(2, ca_issuers));
    CustomExtension::from_oid_content(&[1, 3, 6, 1, 5, 5, 7, 1, 1], tlv(0x30, &list))
}

/// Certificate policies: the CA/Browser Forum's domain-validated policy.
fn dv_policy() -> CustomExtension {
    // 2.23.140.1.2.1
    let info = tlv(0x30, &tlv(0x06, &[0x67, 0x81, 0x0c, 0x01, 0x02, 0x01]));
    CustomExtension::from_oid_content(&[2, 5, 29, 32], tlv(0x30, &info))
}

/// A CA: its certificate (DER) and what signs with it.
struct Ca {
    der: Vec<u8>,
    spki: Vec<u8>,
    issuer: Issuer<'static, KeyPair>,
}

fn ca_params(cn: &str, root: bool) -> CertificateParams {
    let mut p = CertificateParams::default();
    p.distinguished_name.push(DnType::CountryName, "US");
    p.distinguished_name
        .push(DnType::OrganizationName, "Mitmwatch Bench Web PKI");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.is_ca = IsCa::Ca(if root {
        BasicConstraints::Unconstrained
    } else {
        BasicConstraints::Constrained(0)
    });
    p.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
    ];
    p.use_authority_key_identifier_extension = !root;
    p.not_before = if root {
        datetime!(2015-01-01 0:00 UTC)
    } else {
        datetime!(2024-03-01 0:00 UTC)
    };
    p.not_after = if root {
        datetime!(2040-01-01 0:00 UTC)
    } else {
        datetime!(2027-03-01 0:00 UTC)
    };
    p
}

fn root(cn: &str, key: KeyPair) -> Result<Ca, Error> {
    let params = ca_params(cn, true);
    let cert = params.self_signed(&key)?;
    Ok(Ca {
        der: cert.der().to_vec(),
        spki: key.subject_public_key_info(),
        issuer: Issuer::new(params, key),
    })
}

fn intermediate(cn: &str, key: KeyPair, by: &Ca) -> Result<Ca, Error> {
    let params = ca_params(cn, false);
    let cert = params.signed_by(&key, &by.issuer)?;
    Ok(Ca {
        der: cert.der().to_vec(),
        spki: key.subject_public_key_info(),
        issuer: Issuer::new(params, key),
    })
}

fn rsa_key(dir: &Path, name: &str, alg: &'static SignatureAlgorithm) -> Result<KeyPair, Error> {
    let pem = std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{name}: {e}"))?;
    Ok(KeyPair::from_pem_and_sign_algo(&pem, alg)?)
}

fn logs(dir: &Path) -> Result<(Vec<SigningLog>, LogList), Error> {
    let pkcs8 =
        KeyPair::from_pem(&std::fs::read_to_string(dir.join("log-rsa.key"))?)?.serialize_der();
    let mut logs = vec![
        SigningLog::generate("Bench 'Argon' log", "Bench CT Operator A")?,
        SigningLog::generate("Bench 'Xenon' log", "Bench CT Operator B")?,
        SigningLog::generate("Bench 'Krypton' log", "Bench CT Operator C")?,
        SigningLog::from_rsa_pkcs8("Bench 'Radon' log", "Bench CT Operator D", &pkcs8)?,
    ];
    let listed = datetime!(2026-05-20 0:00 UTC);
    for (i, signing) in logs.iter_mut().enumerate() {
        let log = &mut signing.log;
        log.operator_email = vec![format!("ct-{i}@bench.invalid")];
        log.url = format!("https://ct{i}.bench.invalid/");
        log.state = Some(LogState {
            kind: StateKind::Usable,
            since: datetime!(2025-01-01 0:00 UTC),
            final_tree_head: None,
        });
        log.temporal_interval = Some((
            datetime!(2026-01-01 0:00 UTC),
            datetime!(2027-01-01 0:00 UTC),
        ));
    }
    let list = LogList {
        version: "1.0".into(),
        timestamp: listed,
        source: "bench/gen_real_shaped.rs".into(),
        logs: logs.iter().map(|l| l.log.clone()).collect(),
        supplement: None,
    };
    Ok((logs, list))
}

fn main() -> Result<(), Error> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 {
        return Err("usage: gen-real-shaped COUNT KEY_DIR OUT_DIR".into());
    }
    let count: usize = args[1].parse()?;
    let keys = Path::new(&args[2]);
    let out = Path::new(&args[3]);

    let rsa_root = root(
        "Bench Root RSA",
        rsa_key(keys, "root-rsa.key", &PKCS_RSA_SHA256)?,
    )?;
    let ecc_root = root(
        "Bench Root ECC",
        KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384)?,
    )?;
    // Each intermediate signs with the algorithm of its key pair.
    let cas = [
        intermediate(
            "Bench RSA CA A",
            rsa_key(keys, "int-rsa-a.key", &PKCS_RSA_SHA256)?,
            &rsa_root,
        )?,
        intermediate(
            "Bench RSA CA B",
            rsa_key(keys, "int-rsa-b.key", &PKCS_RSA_SHA256)?,
            &rsa_root,
        )?,
        intermediate(
            "Bench RSA 4096 CA",
            rsa_key(keys, "int-rsa4096.key", &PKCS_RSA_SHA384)?,
            &rsa_root,
        )?,
        intermediate(
            "Bench ECC CA P-256",
            KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?,
            &ecc_root,
        )?,
        intermediate(
            "Bench ECC CA P-384",
            KeyPair::generate_for(&PKCS_ECDSA_P384_SHA384)?,
            &ecc_root,
        )?,
    ];
    let roots = [&rsa_root, &ecc_root]
        .iter()
        .map(|r| mitmwatch_core::encoding::pem_encode("CERTIFICATE", &r.der))
        .collect::<String>();
    std::fs::write(out.join("roots.pem"), roots)?;
    let (logs, list) = logs(keys)?;
    std::fs::write(out.join("log_list.json"), list.to_json())?;

    let mut rsa_leaf_keys = 0usize;
    let mut file = std::io::BufWriter::new(std::fs::File::create(out.join("corpus.jsonl"))?);
    for n in 0..count {
        let host = format!("www.site{n}.example");
        // (intermediate, wants an RSA leaf key), by n mod 20 (see the table).
        let (ca, rsa_leaf) = match n % 20 {
            0..=8 => (&cas[n % 2], false),
            9..=12 => (&cas[n % 2], true),
            13 | 14 => (&cas[2], true),
            15..=17 => (&cas[3], false),
            _ => (&cas[4], false),
        };
        let rsa_path = keys.join(format!("leaf-rsa-{rsa_leaf_keys}.key"));
        let key = if rsa_leaf && rsa_path.exists() {
            rsa_leaf_keys += 1;
            KeyPair::from_pem(&std::fs::read_to_string(&rsa_path)?)?
        } else {
            KeyPair::generate_for(&PKCS_ECDSA_P256_SHA256)?
        };
        let mut p = CertificateParams::new(vec![host.clone(), format!("site{n}.example")])?;
        p.distinguished_name.push(DnType::CommonName, host.clone());
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = if rsa_leaf {
            vec![
                KeyUsagePurpose::DigitalSignature,
                KeyUsagePurpose::KeyEncipherment,
            ]
        } else {
            vec![KeyUsagePurpose::DigitalSignature]
        };
        p.extended_key_usages = vec![
            ExtendedKeyUsagePurpose::ServerAuth,
            ExtendedKeyUsagePurpose::ClientAuth,
        ];
        p.use_authority_key_identifier_extension = true;
        p.key_identifier_method = rcgen::KeyIdMethod::Sha256;
        p.crl_distribution_points = vec![CrlDistributionPoint {
            uris: vec!["http://crl.bench.invalid/ca.crl".into()],
        }];
        p.custom_extensions = vec![
            aia(
                "http://ocsp.bench.invalid",
                "http://ca.bench.invalid/ca.der",
            ),
            dv_policy(),
        ];
        // Issued over the first five months of 2026, valid 90 days.
        p.not_before = datetime!(2026-03-05 0:00 UTC) + Duration::minutes((n % 70_000) as i64);
        p.not_after = p.not_before + Duration::days(90);
        p.serial_number = Some((n as u64 + 1).into());
        let sct_count = 2 + n % 2;
        let signing: Vec<&SigningLog> = (0..sct_count).map(|i| &logs[(n + i) % 4]).collect();
        let logged = p.not_before + Duration::minutes(5);
        let der = issue_with_scts(
            &p,
            &key,
            &ca.issuer,
            &ca.spki,
            &signing,
            (logged.unix_timestamp() * 1000) as u64,
        )?;
        let obs = Observation {
            tool: "gen-real-shaped".into(),
            address: Some("192.0.2.1:443".into()),
            duration_ms: 20.0,
            tls: Some(TlsParams {
                version: "TLSv1.3".into(),
                cipher_suite: "TLS13_AES_128_GCM_SHA256".into(),
                kx_group: Some("X25519".into()),
                alpn: Some("h2".into()),
            }),
            ..file_observation(&[der.as_slice(), &ca.der], host, logged)
        };
        serde_json::to_writer(&mut file, &obs)?;
        file.write_all(b"\n")?;
    }
    file.flush()?;
    println!(
        "wrote {count} observations ({rsa_leaf_keys} with RSA leaf keys) to {}",
        out.join("corpus.jsonl").display()
    );
    Ok(())
}
