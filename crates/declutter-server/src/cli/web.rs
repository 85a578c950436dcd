//! The web app's configuration for the operations commands that use its library offline
//! (`user add`, `rotate-token-key`): the same flags and variables as `serve`, with `--db`
//! taken from the global option.

use std::ffi::OsString;
use std::path::Path;

use clap::Parser as _;

/// The web configuration for the database at `db`.
pub fn config(db: &Path) -> anyhow::Result<declutter_web::Config> {
    let argv: [OsString; 3] = ["declutter".into(), "--db".into(), db.as_os_str().to_owned()];
    let args = declutter_web::Args::try_parse_from(argv)?;
    Ok(declutter_web::Config::from_args(args)?)
}
