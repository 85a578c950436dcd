//! AFL++ entry point of [`fuzz::cli_envelope`]: `cargo afl build -p fuzz --features afl`.

fn main() {
    afl::fuzz!(|data: &[u8]| fuzz::cli_envelope(data));
}
