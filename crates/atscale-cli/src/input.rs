//! Reading the files a user names on the command line, under the one input
//! policy of [`atscale_files`]: a regular file or a pipe, at most the input
//! limit, text only.

use std::path::Path;

use anyhow::Result;

/// Reads `path` (named `what` in messages) as text.
pub fn read_text(path: &Path, what: &str) -> Result<String> {
    let rules = atscale_files::InputRules::named(atscale_files::DEFAULT_MAX_INPUT_BYTES);
    let input = atscale_files::read_input(path, what, &rules)?;
    if let Some(line) = input.latin1 {
        crate::errln!("warning: {}:{line}: not UTF-8 (first at this line); read as Latin-1", path.display());
    }
    Ok(input.text)
}
