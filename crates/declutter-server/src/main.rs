//! `declutter`: find and safely remove duplicate and clutter files in local folders, OneDrive
//! and Google Drive. Parses the command line, runs it, and turns failures into one line on
//! stderr and a distinct exit code.

mod cli;

fn main() -> std::process::ExitCode {
    let args = match cli::parse_from(std::env::args_os()) {
        Ok(a) => a,
        Err(e) => e.exit(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("declutter: cannot start runtime: {e}");
            return std::process::ExitCode::from(cli::exit::INTERNAL);
        }
    };
    match runtime.block_on(cli::run(args)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("declutter: {}", cli::exit::one_line(&err));
            std::process::ExitCode::from(cli::exit::code(&err))
        }
    }
}
