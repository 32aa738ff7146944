//! `hudsucker-peer PORT CA_CERT CA_KEY`: a hudsucker MITM proxy on
//! 127.0.0.1:PORT that signs with the given CA, as hudsucker's examples do
//! with the CA they ship (`examples/ca/` of the crate).
#![forbid(unsafe_code)]

use hudsucker::{
    certificate_authority::RcgenAuthority,
    rcgen::{Issuer, KeyPair},
    rustls::crypto::aws_lc_rs,
    Proxy,
};
use std::net::SocketAddr;

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| fail(&format!("{path}: {e}")))
}

fn fail(message: &str) -> ! {
    eprintln!("hudsucker-peer: {message}");
    std::process::exit(2)
}

#[tokio::main]
async fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, port, cert, key] = &args[..] else {
        fail("usage: hudsucker-peer PORT CA_CERT CA_KEY");
    };
    let port: u16 = port.parse().unwrap_or_else(|_| fail("PORT: not a port"));
    let key = KeyPair::from_pem(&read(key)).unwrap_or_else(|e| fail(&format!("{key}: {e}")));
    let issuer = Issuer::from_ca_cert_pem(&read(cert), key)
        .unwrap_or_else(|e| fail(&format!("{cert}: {e}")));
    let ca = RcgenAuthority::new(issuer, 1_000, aws_lc_rs::default_provider());
    let proxy = Proxy::builder()
        .with_addr(SocketAddr::from(([127, 0, 0, 1], port)))
        .with_ca(ca)
        .with_rustls_connector(aws_lc_rs::default_provider())
        .build()
        .unwrap_or_else(|e| fail(&e.to_string()));
    if let Err(e) = proxy.start().await {
        fail(&e.to_string());
    }
}
