//! `cargo test` replays what the fuzzers know: every committed corpus file (seeds, and any
//! crash AFL++ ever found, kept once fixed) through its target, then random inputs.

use std::path::Path;

use proptest::collection::vec;
use proptest::prelude::*;

#[test]
fn every_corpus_file_holds() -> Result<(), Box<dyn std::error::Error>> {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    for (name, target) in fuzz::TARGETS {
        let dir = corpus.join(name);
        let mut replayed = 0;
        for entry in std::fs::read_dir(&dir)? {
            let path = entry?.path();
            let data = std::fs::read(&path)?;
            eprintln!("{}", path.display());
            target(&data);
            replayed += 1;
        }
        assert!(
            replayed >= 3,
            "{} has {replayed} corpus files",
            dir.display()
        );
    }
    // No folder without a target: a target's corpus is never silently skipped.
    for entry in std::fs::read_dir(&corpus)? {
        let name = entry?.file_name();
        let name = name.to_string_lossy();
        assert!(
            fuzz::TARGETS.iter().any(|(t, _)| *t == name),
            "corpus/{name} has no target"
        );
    }
    Ok(())
}

proptest! {
    #[test]
    fn every_target_holds_on_random_bytes(data in vec(any::<u8>(), 0..600)) {
        for (_, target) in fuzz::TARGETS {
            target(&data);
        }
    }

    #[test]
    fn every_target_holds_on_random_text(text in "[ -~]{0,200}") {
        for (_, target) in fuzz::TARGETS {
            target(text.as_bytes());
        }
    }
}
