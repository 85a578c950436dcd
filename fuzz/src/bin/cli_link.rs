//! AFL++ entry point of [`fuzz::cli_link`]: `cargo afl build -p fuzz --features afl`.

fn main() {
    afl::fuzz!(|data: &[u8]| fuzz::cli_link(data));
}
