//! AFL++ entry point of [`fuzz::header_values`]: `cargo afl build -p fuzz --features afl`.

fn main() {
    afl::fuzz!(|data: &[u8]| fuzz::header_values(data));
}
