//! Targets for what `fpaste` parses from the network and the command line: envelopes
//! downloaded from a server, and paste links pasted by a person.

use std::io::Read;

use paste_cli::envelope::{self, KEY_LEN, Key, SealingReader};
use paste_cli::link;
use url::Url;

/// The key every target envelope is sealed and opened with.
const KEY: [u8; KEY_LEN] = [0x42; KEY_LEN];

/// A downloaded envelope: opening arbitrary bytes never panics and (no input forges the tag)
/// never succeeds; sealing the bytes opens back to them, and a flipped bit is refused.
pub fn cli_envelope(data: &[u8]) {
    let key = Key::from_bytes(KEY);
    let mut plain = Vec::new();
    let opened = envelope::open(&key, &mut &data[..], &mut plain);
    assert!(opened.is_err(), "forged envelope opened: {opened:?}");

    let mut sealed = Vec::new();
    let Ok(_) = SealingReader::new(data, &key).read_to_end(&mut sealed) else {
        panic!("sealing from memory cannot fail");
    };
    let mut back = Vec::new();
    let reopened = envelope::open(&key, &mut &sealed[..], &mut back);
    assert!(
        matches!(reopened, Ok(n) if n == data.len() as u64),
        "{reopened:?}"
    );
    assert_eq!(back, data);
    if let Some(&first) = data.first() {
        let at = usize::from(first) * 131 % sealed.len();
        sealed[at] ^= 1 << (first % 8);
        let tampered = envelope::open(&key, &mut &sealed[..], &mut std::io::sink());
        assert!(tampered.is_err(), "bit {at} flipped, still opened");
    }
}

/// A `get`/`delete` argument (`ID`, `ID#key` or a URL): a parsed target names a valid id and a
/// key that survives its own encoding; a bare fragment decodes the same way.
pub fn cli_link(data: &[u8]) {
    let Ok(arg) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(base) = Url::parse("https://paste.example/p") else {
        panic!("the base URL parses");
    };
    if let Ok(target) = link::parse_target(arg, &base) {
        assert!(
            link::valid_id(&target.id),
            "{arg:?} gave id {:?}",
            target.id
        );
        assert!(target.base.fragment().is_none() && target.base.query().is_none());
        if let Some(key) = &target.key {
            round_trips(key);
        }
    }
    if let Ok(key) = link::decode_key(arg) {
        round_trips(&key);
    }
}

fn round_trips(key: &Key) {
    let decoded = link::decode_key(&link::encode_key(key));
    assert!(decoded.is_ok_and(|k| k == *key), "key did not round-trip");
}
