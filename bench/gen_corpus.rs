//! Generates the analyzer benchmark corpus: COUNT observations of unique
//! leaves issued by a handful of intermediates that repeat, as they do in
//! real scans, under RSA-2048 intermediates and roots (keys made by
//! `bench/run.sh` with openssl, since ring cannot generate RSA keys).
//!
//! Usage: gen-corpus COUNT KEY_DIR OUT_DIR [INTERCEPT_EVERY]
//! KEY_DIR holds root.key and int0.key … int4.key (PKCS#8 PEM, RSA-2048).
//! Writes OUT_DIR/corpus.jsonl and OUT_DIR/roots.pem.
//!
//! With INTERCEPT_EVERY = N (the report benchmark), every Nth leaf is
//! minted instead by a CA named like the 2019 Kazakh interception CA
//! (`C=KZ, CN=Security Certificate`, an ECDSA key of its own: a name-only
//! match) with one leaf key for all, and the observation times spread over
//! seven days, so that the report has an interceptor card and a timeline.

use mitmwatch_core::import::pem_dir::file_observation;
use mitmwatch_core::model::{Observation, TlsParams};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use std::io::Write;
use time::macros::datetime;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() != 4 && args.len() != 5 {
        return Err("usage: gen-corpus COUNT KEY_DIR OUT_DIR [INTERCEPT_EVERY]".into());
    }
    let intercept_every: Option<usize> = args.get(4).map(|n| n.parse()).transpose()?;
    let count: usize = args[1].parse()?;
    let keys = std::path::Path::new(&args[2]);
    let out = std::path::Path::new(&args[3]);

    let mut root_params = CertificateParams::default();
    root_params
        .distinguished_name
        .push(DnType::CommonName, "Bench Root");
    root_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    root_params.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
    root_params.not_before = datetime!(2020-01-01 0:00 UTC);
    root_params.not_after = datetime!(2040-01-01 0:00 UTC);
    let root_key = KeyPair::from_pem(&std::fs::read_to_string(keys.join("root.key"))?)?;
    let root = root_params.self_signed(&root_key)?;
    let root_issuer = Issuer::new(root_params, root_key);
    std::fs::write(out.join("roots.pem"), root.pem())?;

    let mut intermediates = Vec::new();
    for i in 0..5 {
        let mut p = CertificateParams::default();
        p.distinguished_name
            .push(DnType::CommonName, format!("Bench Issuing CA {i}"));
        p.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        p.key_usages = vec![
            KeyUsagePurpose::KeyCertSign,
            KeyUsagePurpose::DigitalSignature,
        ];
        p.use_authority_key_identifier_extension = true;
        p.not_before = datetime!(2024-01-01 0:00 UTC);
        p.not_after = datetime!(2030-01-01 0:00 UTC);
        let key = KeyPair::from_pem(&std::fs::read_to_string(keys.join(format!("int{i}.key")))?)?;
        let cert = p.signed_by(&key, &root_issuer)?;
        intermediates.push((cert.der().clone(), Issuer::new(p, key)));
    }

    let interceptor = {
        let mut p = CertificateParams::default();
        p.distinguished_name.push(DnType::CountryName, "KZ");
        p.distinguished_name
            .push(DnType::CommonName, "Security Certificate");
        p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        p.key_usages = vec![KeyUsagePurpose::KeyCertSign];
        p.not_before = datetime!(2024-01-01 0:00 UTC);
        p.not_after = datetime!(2030-01-01 0:00 UTC);
        let key = KeyPair::generate()?;
        let cert = p.self_signed(&key)?;
        (cert.der().clone(), Issuer::new(p, key))
    };

    let minting_key_pem = KeyPair::generate()?.serialize_pem();
    let mut file = std::io::BufWriter::new(std::fs::File::create(out.join("corpus.jsonl"))?);
    for n in 0..count {
        // A key per leaf, as real sites have (the issuer's key decides the
        // verification cost; ECDSA keys are quick to make).
        let host = format!("site{n}.bench.example");
        let intercepted = intercept_every.is_some_and(|every| every > 0 && n % every == 0);
        let (int_der, issuer) = match intercepted {
            true => &interceptor,
            false => &intermediates[n % intermediates.len()],
        };
        // The interceptor mints every leaf with one key, as on-the-fly
        // minting proxies do (a scan-level finding: leaf-key-reuse).
        let leaf_key = match intercepted {
            true => KeyPair::from_pem(&minting_key_pem)?,
            false => KeyPair::generate()?,
        };
        let at = match intercept_every {
            // Seven days, a few minutes apart.
            Some(_) => {
                datetime!(2026-05-25 0:00 UTC)
                    + time::Duration::seconds((n as i64 * 6047) % (7 * 86400))
            }
            None => datetime!(2026-06-01 0:00 UTC),
        };
        let mut p = CertificateParams::new(vec![host.clone(), format!("www.{host}")])?;
        p.distinguished_name.push(DnType::CommonName, host.clone());
        p.is_ca = IsCa::ExplicitNoCa;
        p.key_usages = vec![KeyUsagePurpose::DigitalSignature];
        p.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        p.use_authority_key_identifier_extension = true;
        p.not_before = datetime!(2026-01-01 0:00 UTC);
        p.not_after = datetime!(2026-12-31 0:00 UTC);
        p.serial_number = Some((n as u64 + 1).into());
        let leaf = p.signed_by(&leaf_key, issuer)?;
        let obs = Observation {
            tool: "gen-corpus".into(),
            address: Some("192.0.2.1:443".into()),
            duration_ms: 20.0,
            tls: Some(TlsParams {
                version: "TLSv1.3".into(),
                cipher_suite: "TLS13_AES_128_GCM_SHA256".into(),
                kx_group: Some("X25519".into()),
                alpn: Some("h2".into()),
            }),
            ..file_observation(&[leaf.der(), int_der], host, at)
        };
        serde_json::to_writer(&mut file, &obs)?;
        file.write_all(b"\n")?;
    }
    file.flush()?;
    println!(
        "wrote {count} observations to {}",
        out.join("corpus.jsonl").display()
    );
    Ok(())
}
