//! Runs last (test targets run in name order): says how many tests skipped work because the
//! external test data was missing, from the notes they left (`common::skipped`), then clears
//! the notes for the next run.

mod common;

fn main() {
    let dir = common::skip_notes();
    let mut notes: Vec<(String, String)> = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| {
                    let test = e.file_name().to_string_lossy().replace("--", ": ");
                    let why = std::fs::read_to_string(e.path()).unwrap_or_default();
                    (test, why)
                })
                .collect()
        })
        .unwrap_or_default();
    notes.sort();
    if notes.is_empty() {
        println!(
            "external test data: every test ran (data at {})",
            common::shared_data_path().display()
        );
    } else {
        println!(
            "external test data: {} test(s) skipped some or all of their work:",
            notes.len()
        );
        for (test, why) in &notes {
            println!("  {test}: {why}");
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
}
