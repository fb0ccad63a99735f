#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| verdis_fuzz::aof_load(data));
