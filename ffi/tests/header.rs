//! Keeps `include/dimse.h` equal to what cbindgen generates from the crate (with
//! `cbindgen.toml`): the committed header is what C programs include, so it may not drift.
//! `DIMSE_REGENERATE_HEADER=1 cargo test -p dimse-ffi --test header` rewrites it.

use std::path::Path;

#[test]
fn the_committed_header_is_what_cbindgen_generates() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let config = cbindgen::Config::from_file(dir.join("cbindgen.toml")).expect("cbindgen.toml");
    let bindings = cbindgen::Builder::new()
        .with_crate(dir)
        .with_config(config)
        .generate()
        .expect("cbindgen generates the header");
    let mut generated = Vec::new();
    bindings.write(&mut generated);
    let generated = String::from_utf8(generated).expect("UTF-8");
    let path = dir.join("include/dimse.h");
    if std::env::var_os("DIMSE_REGENERATE_HEADER").is_some() {
        std::fs::write(&path, &generated).expect("write include/dimse.h");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "ffi/include/dimse.h is stale: run \
         `DIMSE_REGENERATE_HEADER=1 cargo test -p dimse-ffi --test header` and commit it"
    );
    // What the C side relies on is there.
    for name in [
        "dimse_acceptor_init",
        "dimse_poll_output",
        "dimse_respond_n_get",
        "DIMSE_CONNECTION_SIZE",
        "DIMSE_OUTPUT_KIND_IDLE",
    ] {
        assert!(generated.contains(name), "{name} missing from the header");
    }
}
