//! AFL++ entry point of [`fuzz::mime_sniff`]: `cargo afl build -p fuzz --features afl`.

fn main() {
    afl::fuzz!(|data: &[u8]| fuzz::mime_sniff(data));
}
