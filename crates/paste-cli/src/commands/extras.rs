//! Hidden helpers: shell completions, the man page, and the benchmarks' encrypt-only and
//! proof-of-work timers.

use std::fs::File;
use std::io::{self, BufRead, BufWriter, Write};
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

/// Encrypts `file` (to `output` or nowhere) and prints bytes, seconds and MiB/s on stderr: by
/// the wall clock, and by the CPU time of this thread (what `openssl speed` reports without
/// `-elapsed`; on a shared machine the only figure that does not depend on the neighbours).
/// With `in_memory` the file is read first, untimed.
pub fn encrypt_bench(file: &Path, output: Option<&Path>, in_memory: bool) -> Result<()> {
    let mut input = File::open(file).map_err(|e| CliError::io(file.display(), e))?;
    let len = input
        .metadata()
        .map_err(|e| CliError::io(file.display(), e))?
        .len();
    let mut held = Vec::new();
    if in_memory {
        io::Read::read_to_end(&mut input, &mut held)
            .map_err(|e| CliError::io(file.display(), e))?;
    }
    let input: Box<dyn io::Read> = if in_memory {
        Box::new(&held[..])
    } else {
        Box::new(input)
    };
    let mut sink: Box<dyn Write> = match output {
        Some(path) => Box::new(BufWriter::new(
            File::create(path).map_err(|e| CliError::io(path.display(), e))?,
        )),
        None => Box::new(io::sink()),
    };
    let timer = Timer::start();
    let mut reader = SealingReader::new(input, &Key::generate());
    let mut written = 0u64;
    // Sealed chunks are written from where they were sealed, without a copy.
    loop {
        let sealed = reader
            .fill_buf()
            .map_err(|e| CliError::io("encrypting", e))?;
        if sealed.is_empty() {
            break;
        }
        sink.write_all(sealed)
            .map_err(|e| CliError::io("encrypting", e))?;
        let n = sealed.len();
        reader.consume(n);
        written += n as u64;
    }
    sink.flush().map_err(|e| CliError::io("encrypting", e))?;
    eprintln!("encrypted {len} bytes into {written} {}", timer.report(len));
    Ok(())
}

/// Seals `file` into memory (untimed), then times opening it; reports throughput on stderr as
/// [`encrypt_bench`] does.
pub fn decrypt_bench(file: &Path) -> Result<()> {
    let input = File::open(file).map_err(|e| CliError::io(file.display(), e))?;
    let key = Key::generate();
    let mut sealed = Vec::new();
    io::Read::read_to_end(&mut SealingReader::new(input, &key), &mut sealed)
        .map_err(|e| CliError::io("encrypting", e))?;
    let timer = Timer::start();
    let len = open(&key, &mut &sealed[..], &mut io::sink())
        .map_err(|e| CliError::io("decrypting", io::Error::other(e)))?;
    eprintln!("decrypted {len} bytes {}", timer.report(len));
    Ok(())
}

/// Wall-clock and thread CPU time since the start.
struct Timer {
    wall: Instant,
    cpu_ns: Option<u64>,
}

impl Timer {
    fn start() -> Self {
        Self {
            wall: Instant::now(),
            cpu_ns: thread_cpu_ns(),
        }
    }

    /// "in S s: W MiB/s wall, C MiB/s cpu" for `bytes` processed.
    fn report(&self, bytes: u64) -> String {
        let mib = bytes as f64 / (1024.0 * 1024.0);
        let secs = self.wall.elapsed().as_secs_f64();
        let cpu = match (self.cpu_ns, thread_cpu_ns()) {
            (Some(a), Some(b)) if b > a => format!("{:.0}", mib / ((b - a) as f64 / 1e9)),
            _ => "?".to_owned(),
        };
        format!(
            "in {secs:.3} s: {:.0} MiB/s wall, {cpu} MiB/s cpu",
            mib / secs
        )
    }
}

/// Nanoseconds this thread has run on a CPU (Linux's schedstat); `None` elsewhere.
fn thread_cpu_ns() -> Option<u64> {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
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
