//! Writes the seed corpus of every fuzz target, made from `core/tests/vectors/*.hex`:
//! `seed VECTOR_DIR CORPUS_DIR` fills `CORPUS_DIR/<target>/seed-<name>`.
//!
//! Std only, so `scripts/fuzz` builds it with plain `rustc` in a second.

#[allow(dead_code)] // the decoding half is for the harness
#[path = "harness/acceptor_input.rs"]
mod acceptor_input;
#[path = "harness/seeds.rs"]
mod seeds;

use std::path::PathBuf;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [vectors, corpus] = args.as_slice() else {
        eprintln!("usage: seed VECTOR_DIR CORPUS_DIR");
        std::process::exit(2);
    };
    let corpus = PathBuf::from(corpus);
    let mut counts = std::collections::BTreeMap::new();
    for s in seeds::corpus(&PathBuf::from(vectors)) {
        let dir = corpus.join(s.target);
        std::fs::create_dir_all(&dir).expect("create the corpus directory");
        std::fs::write(dir.join(format!("seed-{}", s.name)), &s.bytes).expect("write a seed");
        *counts.entry(s.target).or_insert(0) += 1;
    }
    for (target, n) in counts {
        println!("{target}: {n} seeds");
    }
}
