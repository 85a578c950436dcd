//! AFL++ entry point of [`fuzz::pow_token`]: `cargo afl build -p fuzz --features afl`.

fn main() {
    afl::fuzz!(|data: &[u8]| fuzz::pow_token(data));
}
