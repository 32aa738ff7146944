//! Counts in prose: "1 domain", "2 domains", never "1 domains" or
//! "domain(s)". Every message that puts a number before a noun goes
//! through here, in the library and the binary alike.

/// `one` when `n` is 1, else `many` (`noun(3, "entry", "entries")`).
/// Both forms are given: English plurals are not all an added "s", and
/// a phrase such as "root is"/"roots are" must agree as a whole.
pub fn noun<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}

/// The number and the noun that agrees with it: `count(1, "file",
/// "files")` is "1 file", `count(0, "file", "files")` is "0 files".
pub fn count(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", noun(n, one, many))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_every_other_count_plural() {
        assert_eq!(count(1, "domain", "domains"), "1 domain");
        assert_eq!(count(2, "domain", "domains"), "2 domains");
        assert_eq!(count(0, "domain", "domains"), "0 domains");
        assert_eq!(count(1, "entry", "entries"), "1 entry");
        assert_eq!(count(11, "entry", "entries"), "11 entries");
        assert_eq!(noun(1, "root is", "roots are"), "root is");
        assert_eq!(noun(21, "root is", "roots are"), "roots are");
    }
}
