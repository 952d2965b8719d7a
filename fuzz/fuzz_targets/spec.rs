//! Any bytes as a spec file, with a fixed lookout.yaml: loading and
//! lowering must report problems as diagnostics, never panic.
#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;

const CONFIG: &str = "runbooks: {base_url: https://runbooks.example.com}\nloki: {url: http://loki:3100}\nelasticsearch: {url: https://es:9200}\n";

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = lookout::check::compile_texts(
            Some(CONFIG),
            &[(Path::new("slos/fuzz.yaml"), text.to_string())],
        );
    }
});
