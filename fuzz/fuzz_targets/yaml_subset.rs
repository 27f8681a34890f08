//! Differential fuzzing of the YAML readers: wherever the fast subset reader accepts a
//! document, saphyr's full reader must build the same tree, positions and facts.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(why) = apigate_core::source::yaml_readers_agree(text) {
        panic!("{why}: {text:?}");
    }
});
