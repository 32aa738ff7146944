//! A served chain (length-prefixed DER certificates) as the collector records it and the analyzer judges it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mitmwatch_fuzz_entry::der_chain(data);
});
