//! Hidden helpers: shell completions, the man page, and the benchmarks' encrypt-only and
//! proof-of-work timers.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::Instant;

use clap::CommandFactory;

use super::{emit, emit_json};
use crate::cli::Cli;
use crate::envelope::{Key, SealingReader, open};
use crate::error::{CliError, Result};

/// Prints the completion script for `shell`.
pub fn completions(shell: clap_complete::Shell) -> Result<()> {
    // Rendered into memory first: clap_complete panics when its writer fails (a closed pipe).
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "fpaste", &mut script);
    emit(&script)
}

/// Prints the man page.
pub fn manpage() -> Result<()> {
    let mut page = Vec::new();
    clap_mangen::Man::new(Cli::command())
        .render(&mut page)
        .map_err(|e| CliError::io("rendering the man page", e))?;
    emit(&page)
}

/// Encrypts `file` (to `output` or nowhere) and prints bytes, seconds and MiB/s on stderr.
pub fn encrypt_bench(file: &Path, output: Option<&Path>) -> Result<()> {
    let input = File::open(file).map_err(|e| CliError::io(file.display(), e))?;
    let len = input
        .metadata()
        .map_err(|e| CliError::io(file.display(), e))?
        .len();
    let mut sink: Box<dyn Write> = match output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).map_err(|e| CliError::io(path.display(), e))?,
        )),
        None => Box::new(io::sink()),
    };
    let start = Instant::now();
    let mut reader = SealingReader::new(input, &Key::generate());
    // Sealed chunks are 64 KiB; io::copy's 8 KiB buffer would cut each into eight copies.
    let mut buf = vec![0u8; 256 * 1024];
    let mut written = 0u64;
    loop {
        let n = io::Read::read(&mut reader, &mut buf).map_err(|e| CliError::io("encrypting", e))?;
        if n == 0 {
            break;
        }
        sink.write_all(&buf[..n])
            .map_err(|e| CliError::io("encrypting", e))?;
        written += n as u64;
    }
    sink.flush().map_err(|e| CliError::io("encrypting", e))?;
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "encrypted {len} bytes into {written} in {secs:.3} s: {:.0} MiB/s",
        len as f64 / secs / (1024.0 * 1024.0)
    );
    Ok(())
}

/// Seals `file` into memory (untimed), then times opening it; reports throughput on stderr.
pub fn decrypt_bench(file: &Path) -> Result<()> {
    let input = File::open(file).map_err(|e| CliError::io(file.display(), e))?;
    let key = Key::generate();
    let mut sealed = Vec::new();
    io::Read::read_to_end(&mut SealingReader::new(input, &key), &mut sealed)
        .map_err(|e| CliError::io("encrypting", e))?;
    let start = Instant::now();
    let len = open(&key, &mut &sealed[..], &mut io::sink())
        .map_err(|e| CliError::io("decrypting", io::Error::other(e)))?;
    let secs = start.elapsed().as_secs_f64();
    eprintln!(
        "decrypted {len} bytes in {secs:.3} s: {:.0} MiB/s",
        len as f64 / secs / (1024.0 * 1024.0)
    );
    Ok(())
}

/// Solves `runs` puzzles with random nonces at `difficulty`; prints each time on stderr and a
/// JSON summary (median and mean seconds) on stdout.
pub fn pow_bench(difficulty: u32, runs: u32) -> Result<()> {
    let mut times = Vec::new();
    for run in 0..runs.max(1) {
        let nonce = hex::encode(rand::random::<[u8; 16]>());
        let start = Instant::now();
        let solution = crate::pow::solve(&nonce, difficulty)?;
        let secs = start.elapsed().as_secs_f64();
        eprintln!("run {run}: solution {solution} in {secs:.3} s");
        times.push(secs);
    }
    times.sort_by(f64::total_cmp);
    let mid = times.len() / 2;
    let median = if times.len() % 2 == 0 {
        (times[mid - 1] + times[mid]) / 2.0
    } else {
        times[mid]
    };
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    emit_json(&serde_json::json!({
        "difficulty": difficulty,
        "runs": times.len(),
        "median_s": median,
        "mean_s": mean,
        "threads": std::thread::available_parallelism().map_or(1, |n| n.get()),
    }))
}
