//! The name forms that name constraints are written in, as a certificate's
//! facts keep them (see [`super::chain`]); [`super::constraints`] judges
//! them.

/// A distinguished name as its relative names, each a sorted list of
/// (attribute type OID, value DER) pairs.
pub(crate) type RdnSequence = Vec<Vec<(String, Vec<u8>)>>;

/// One name-constraint subtree, in the forms [`super::constraints`] judges.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Subtree {
    /// A DNS name and the names below it.
    Dns(String),
    /// An address block: address and mask, of the same length.
    Ip(Vec<u8>, Vec<u8>),
    /// A directory name and the names it is a prefix of.
    Directory(RdnSequence),
    /// A form that is not judged (email, URI, other names).
    Other,
}

/// A CA's NameConstraints extension.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NameConstraintFacts {
    /// Permitted subtrees (empty: no permitted list).
    pub(crate) permitted: Vec<Subtree>,
    /// Excluded subtrees.
    pub(crate) excluded: Vec<Subtree>,
}
