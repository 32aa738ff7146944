//! An answer to an AIA caIssuers fetch: DER, PEM or PKCS#7 certs-only, or anything else.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mitmwatch_fuzz_entry::aia_response(data);
});
