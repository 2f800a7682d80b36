//! Output files: folders created on demand, writes that report every failure (a full disk is
//! an error, never a silent exit 0), and no output that would overwrite one of its inputs.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

fn write_error(path: &Path) -> impl Fn(std::io::Error) -> Error + '_ {
    move |cause| Error::Write {
        path: path.to_path_buf(),
        cause,
    }
}

/// Creates the folder that will hold `path`, if it has one that does not exist yet.
pub fn create_parent(path: &Path) -> Result<()> {
    match path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
            std::fs::create_dir_all(dir).map_err(write_error(dir))
        }
        _ => Ok(()),
    }
}

/// Creates (or truncates) the file `path`, creating its folder first.
pub fn create(path: &Path) -> Result<File> {
    create_parent(path)?;
    File::create(path).map_err(write_error(path))
}

/// Writes `bytes` to `path` (its folder created first), reporting any failure.
pub fn write(path: &Path, bytes: impl AsRef<[u8]>) -> Result<()> {
    let mut f = create(path)?;
    f.write_all(bytes.as_ref()).map_err(write_error(path))?;
    f.flush().map_err(write_error(path))
}

/// Calls `fill` with a buffered writer on `path`, or on standard output when `path` is
/// `None`, then flushes it: a write that fails at any point (a full disk, a closed pipe) is
/// an error naming the destination.
pub fn with_writer(
    path: Option<&Path>,
    fill: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> Result<()> {
    let stdout = PathBuf::from("<standard output>");
    let name = path.unwrap_or(&stdout);
    let result = match path {
        Some(p) => {
            let mut w = std::io::BufWriter::new(create(p)?);
            fill(&mut w).and_then(|_| w.flush())
        }
        None => {
            let mut w = std::io::stdout().lock();
            fill(&mut w).and_then(|_| w.flush())
        }
    };
    result.map_err(write_error(name))
}

/// Fails when `path` exists but is not a regular file (a device, pipe or folder): a table
/// that is rewritten through a temporary file and a rename would replace the device itself.
/// `option` names the output option in the message.
pub fn require_regular_or_new(path: &Path, option: &str) -> Result<()> {
    match std::fs::metadata(path) {
        Ok(m) if !m.is_file() => Err(Error::Settings(format!(
            "{option} '{}' is not a regular file; this output is written through a temporary file and renamed into place, so it must be a file (new or existing)",
            path.display()
        ))),
        _ => Ok(()),
    }
}

/// The absolute, symlink-free form of `path`; for a file that does not exist yet, that of its
/// folder joined with its name.
fn resolved(path: &Path) -> Option<PathBuf> {
    if let Ok(p) = path.canonicalize() {
        return Some(p);
    }
    let name = path.file_name()?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.canonicalize().ok()?,
        _ => std::env::current_dir().ok()?,
    };
    Some(dir.join(name))
}

/// Fails when the output `output` is the same file as one of `inputs` (after resolving
/// relative paths and links): writing it would destroy the input before or while it is read.
/// `option` names the output option in the message.
pub fn refuse_overwrite<'a>(
    output: &Path,
    option: &str,
    inputs: impl IntoIterator<Item = (&'a str, &'a Path)>,
) -> Result<()> {
    let Some(out) = resolved(output) else {
        return Ok(());
    };
    for (what, input) in inputs {
        if resolved(input).is_some_and(|i| i == out) {
            return Err(Error::Settings(format!(
                "{option} '{}' is the {what} '{}': writing it would overwrite the input; choose another output file",
                output.display(),
                input.display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_are_created_and_inputs_protected() {
        let dir = tempfile::tempdir().unwrap();
        let deep = dir.path().join("a/b/model.json");
        write(&deep, "{}").unwrap();
        assert_eq!(std::fs::read_to_string(&deep).unwrap(), "{}");
        let input = dir.path().join("cases.csv");
        std::fs::write(&input, "ID\n").unwrap();
        let same = dir.path().join("a/../cases.csv");
        let e = refuse_overwrite(&same, "-o", [("manifest", input.as_path())])
            .unwrap_err()
            .to_string();
        assert!(e.contains("manifest") && e.contains("overwrite"), "{e}");
        assert!(refuse_overwrite(&deep, "-o", [("manifest", input.as_path())]).is_ok());
    }

    #[test]
    fn a_full_disk_is_an_error() {
        let full = Path::new("/dev/full");
        if full.exists() {
            let e = with_writer(Some(full), |w| w.write_all(b"x")).unwrap_err();
            assert!(e.to_string().contains("/dev/full"), "{e}");
        }
    }
}
