//! An observation file (JSON Lines) as `analyze` reads, judges and shows it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mitmwatch_fuzz_entry::observation_file(data);
});
