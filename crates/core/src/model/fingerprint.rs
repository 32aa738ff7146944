//! [`Fingerprint`]: a SHA-256 digest naming a certificate or a public key.
//! One type from the DER to the report: the analyzer compares the 32 bytes,
//! records and reports write them as 64 lowercase hex digits (as `openssl
//! x509 -fingerprint -sha256` prints them, without colons), and nothing
//! converts between the two forms on the way.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

/// The SHA-256 of a certificate's DER, or of a DER SubjectPublicKeyInfo
/// (the value browsers pin and block). In JSON: 64 lowercase hex digits;
/// read in either case.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Fingerprint([u8; 32]);

/// Why text is not a [`Fingerprint`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a SHA-256 fingerprint is 64 hex digits, not {0:?}")]
pub struct FingerprintError(String);

impl Fingerprint {
    /// The SHA-256 of `bytes`.
    pub fn of(bytes: &[u8]) -> Self {
        Fingerprint(crate::encoding::sha256(bytes))
    }

    /// A digest computed elsewhere.
    pub const fn from_bytes(bytes: [u8; 32]) -> Self {
        Fingerprint(bytes)
    }

    /// The 32 bytes.
    pub const fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// Standard base64 of the 32 bytes (the form of HPKP pins and of
    /// Chrome's static pins).
    pub fn to_base64(&self) -> String {
        crate::encoding::base64_encode(&self.0)
    }

    /// The first `digits` hex digits (at most 64), for short labels.
    pub fn short(&self, digits: usize) -> String {
        let mut hex = self.to_string();
        hex.truncate(digits);
        hex
    }
}

impl From<[u8; 32]> for Fingerprint {
    fn from(bytes: [u8; 32]) -> Self {
        Fingerprint(bytes)
    }
}

impl AsRef<[u8]> for Fingerprint {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl fmt::Display for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut text = [0u8; 64];
        for (i, b) in self.0.iter().enumerate() {
            text[2 * i] = DIGITS[usize::from(b >> 4)];
            text[2 * i + 1] = DIGITS[usize::from(b & 0x0f)];
        }
        // Only ASCII hex digits were written.
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for Fingerprint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Fingerprint({self})")
    }
}

impl std::str::FromStr for Fingerprint {
    type Err = FingerprintError;

    /// 64 hex digits, in either case (no colons, no other characters).
    fn from_str(text: &str) -> Result<Self, FingerprintError> {
        let bad = || FingerprintError(text.chars().take(80).collect());
        let digits = text.as_bytes();
        if digits.len() != 64 {
            return Err(bad());
        }
        let digit = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
        let mut out = [0u8; 32];
        for (i, pair) in digits.chunks_exact(2).enumerate() {
            out[i] = (digit(pair[0]).ok_or_else(bad)? << 4) | digit(pair[1]).ok_or_else(bad)?;
        }
        Ok(Fingerprint(out))
    }
}

impl Serialize for Fingerprint {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Fingerprint {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Hex;
        impl serde::de::Visitor<'_> for Hex {
            type Value = Fingerprint;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a SHA-256 fingerprint: 64 hex digits")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Fingerprint, E> {
                text.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Hex)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // SHA-256("abc"), FIPS 180-2 appendix B.1.
    const ABC: &str = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

    #[test]
    fn hex_in_json_bytes_inside() {
        let fp = Fingerprint::of(b"abc");
        assert_eq!(fp.to_string(), ABC);
        assert_eq!(fp.short(16), &ABC[..16]);
        assert_eq!(serde_json::to_string(&fp).unwrap(), format!("\"{ABC}\""));
        let back: Fingerprint = serde_json::from_str(&format!("\"{ABC}\"")).unwrap();
        assert_eq!(back, fp);
        let upper: Fingerprint = ABC.to_uppercase().parse().unwrap();
        assert_eq!(upper, fp);
        assert_eq!(fp.as_bytes()[0], 0xba);
        assert_eq!(
            fp.to_base64(),
            "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0="
        );
    }

    #[test]
    fn anything_but_64_hex_digits_is_refused() {
        for bad in [
            "",
            "ab",
            &ABC[..63],
            &format!("{ABC}0"),
            &ABC.replace('b', "g"),
        ] {
            assert!(bad.parse::<Fingerprint>().is_err(), "{bad:?}");
            assert!(serde_json::from_str::<Fingerprint>(&format!("\"{bad}\"")).is_err());
        }
        let colons = "ba:78:16:bf:8f:01:cf:ea:41:41:40:de:5d:ae:22:23:b0:03:61:a3:96:17:7a:9c:b4:10:ff:61:f2:00:15:ad";
        assert!(colons.parse::<Fingerprint>().is_err());
        assert!(serde_json::from_str::<Fingerprint>("12").is_err());
        let e = "+f".repeat(32).parse::<Fingerprint>().unwrap_err();
        assert!(e.to_string().contains("64 hex digits"), "{e}");
    }
}
