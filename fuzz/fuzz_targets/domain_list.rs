//! A domain list as `scan -i` reads it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mitmwatch_fuzz_entry::domain_list(data);
});
