//! Just enough DER to take a certificate apart and put it back together:
//! reading one tag-length-value at a time, and encoding a TLV with a minimal
//! length. Only single-byte tags and definite lengths (as DER requires) are
//! accepted; anything else is an error, never a panic.

use std::fmt;

/// Why a DER structure could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DerError {
    /// The input ended inside a tag, length or value.
    Truncated,
    /// A high tag number (multi-byte tag), which these structures never use.
    LongTag,
    /// An indefinite length (BER, not DER) or a length that does not fit.
    BadLength,
    /// A long-form length that DER forbids: one below 128 (which has a
    /// short form) or one with leading zero bytes. X.690 §10.1: "the
    /// definite form of length encoding shall be used, encoded in the
    /// minimum number of octets".
    NonMinimalLength,
    /// A tag other than the one the structure requires.
    UnexpectedTag {
        /// The tag required.
        expected: u8,
        /// The tag found.
        found: u8,
    },
    /// Bytes left over after a structure that should end the input.
    TrailingData,
}

impl fmt::Display for DerError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DerError::Truncated => f.write_str("DER truncated"),
            DerError::LongTag => f.write_str("multi-byte DER tag"),
            DerError::BadLength => f.write_str("invalid DER length"),
            DerError::NonMinimalLength => f.write_str("DER length not in its minimal encoding"),
            DerError::UnexpectedTag { expected, found } => {
                write!(f, "expected DER tag 0x{expected:02x}, found 0x{found:02x}")
            }
            DerError::TrailingData => f.write_str("trailing bytes after a DER structure"),
        }
    }
}

impl std::error::Error for DerError {}

/// DER tag of SEQUENCE (constructed).
pub const SEQUENCE: u8 = 0x30;
/// DER tag of OCTET STRING.
pub(crate) const OCTET_STRING: u8 = 0x04;
/// DER tag of OBJECT IDENTIFIER.
pub const OID: u8 = 0x06;
/// DER tag of BIT STRING.
pub const BIT_STRING: u8 = 0x03;
/// DER tag of NULL.
pub const NULL: u8 = 0x05;

/// One tag-length-value, borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
    /// The tag byte.
    pub(crate) tag: u8,
    /// The value.
    pub(crate) content: &'a [u8],
    /// Tag, length and value, exactly as encoded.
    pub(crate) raw: &'a [u8],
}

/// Reads one TLV from the front of `input`; returns it and the rest.
pub(crate) fn read(input: &[u8]) -> Result<(Tlv<'_>, &[u8]), DerError> {
    let (&tag, rest) = input.split_first().ok_or(DerError::Truncated)?;
    if tag & 0x1f == 0x1f {
        return Err(DerError::LongTag);
    }
    let (&first, rest) = rest.split_first().ok_or(DerError::Truncated)?;
    let (len, rest) = if first < 0x80 {
        (first as usize, rest)
    } else {
        let n = (first & 0x7f) as usize;
        if n == 0 || n > 4 {
            return Err(DerError::BadLength);
        }
        if rest.len() < n {
            return Err(DerError::Truncated);
        }
        if rest[0] == 0 {
            return Err(DerError::NonMinimalLength);
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | *b as usize);
        if len < 0x80 {
            return Err(DerError::NonMinimalLength);
        }
        (len, &rest[n..])
    };
    if rest.len() < len {
        return Err(DerError::Truncated);
    }
    let header = input.len() - rest.len();
    Ok((
        Tlv {
            tag,
            content: &rest[..len],
            raw: &input[..header + len],
        },
        &rest[len..],
    ))
}

/// Reads exactly one TLV with tag `expected` that spans the whole input.
pub(crate) fn read_only(input: &[u8], expected: u8) -> Result<Tlv<'_>, DerError> {
    let (tlv, rest) = read(input)?;
    if tlv.tag != expected {
        return Err(DerError::UnexpectedTag {
            expected,
            found: tlv.tag,
        });
    }
    if !rest.is_empty() {
        return Err(DerError::TrailingData);
    }
    Ok(tlv)
}

/// Splits the content of a constructed value into its elements.
pub(crate) fn children(mut content: &[u8]) -> Result<Vec<Tlv<'_>>, DerError> {
    let mut out = Vec::new();
    while !content.is_empty() {
        let (tlv, rest) = read(content)?;
        out.push(tlv);
        content = rest;
    }
    Ok(out)
}

/// Encodes a TLV with the minimal (DER) length.
pub fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = Vec::with_capacity(len + 6);
    out.push(tag);
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_round_trip_in_short_and_long_form() {
        for len in [0usize, 1, 127, 128, 255, 256, 65_535, 65_536] {
            let content = vec![0xab; len];
            let encoded = encode(SEQUENCE, &content);
            let (tlv, rest) = read(&encoded).unwrap();
            assert!(rest.is_empty());
            assert_eq!(tlv.tag, SEQUENCE);
            assert_eq!(tlv.content.len(), len);
            assert_eq!(tlv.raw, &encoded[..]);
        }
        assert_eq!(encode(OCTET_STRING, &[0; 128])[..3], [0x04, 0x81, 0x80]);
    }

    #[test]
    fn malformed_input_is_an_error_not_a_panic() {
        assert_eq!(read(&[]), Err(DerError::Truncated));
        assert_eq!(read(&[0x30]), Err(DerError::Truncated));
        assert_eq!(read(&[0x30, 0x05, 0x00]), Err(DerError::Truncated));
        assert_eq!(read(&[0x30, 0x80]), Err(DerError::BadLength));
        assert_eq!(read(&[0x30, 0x85, 1, 1, 1, 1, 1]), Err(DerError::BadLength));
        assert_eq!(read(&[0x30, 0x82, 0x01]), Err(DerError::Truncated));
        assert_eq!(read(&[0x1f, 0x01, 0x00]), Err(DerError::LongTag));
        assert_eq!(
            read_only(&[0x04, 0x00], SEQUENCE),
            Err(DerError::UnexpectedTag {
                expected: 0x30,
                found: 0x04
            })
        );
        assert_eq!(
            read_only(&[0x30, 0x00, 0x00], SEQUENCE),
            Err(DerError::TrailingData)
        );
        assert!(children(&[0x02, 0x01, 0x05, 0x02]).is_err());
    }

    #[test]
    fn non_minimal_lengths_are_refused() {
        // Length 5 in long form: it has a short form.
        assert_eq!(
            read(&[0x04, 0x81, 0x05, 1, 2, 3, 4, 5]),
            Err(DerError::NonMinimalLength)
        );
        // 127 is the largest short-form length.
        let mut long_127 = vec![0x04, 0x81, 0x7f];
        long_127.extend_from_slice(&[0; 127]);
        assert_eq!(read(&long_127), Err(DerError::NonMinimalLength));
        // Zero in long form.
        assert_eq!(read(&[0x04, 0x81, 0x00]), Err(DerError::NonMinimalLength));
        // Leading zero byte: 0x0080 written in two bytes.
        let mut padded = vec![0x04, 0x82, 0x00, 0x80];
        padded.extend_from_slice(&[0; 128]);
        assert_eq!(read(&padded), Err(DerError::NonMinimalLength));
        // The minimal forms of the same lengths are read.
        let mut minimal = vec![0x04, 0x81, 0x80];
        minimal.extend_from_slice(&[0; 128]);
        assert_eq!(read(&minimal).unwrap().0.content.len(), 128);
        let mut two = vec![0x04, 0x82, 0x01, 0x00];
        two.extend_from_slice(&[0; 256]);
        assert_eq!(read(&two).unwrap().0.content.len(), 256);
        // Every error still comes before a panic.
        assert!(children(&[0x30, 0x81, 0x01, 0x00]).is_err());
    }
}
