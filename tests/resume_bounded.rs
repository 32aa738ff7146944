//! `scan --resume` reads the previous output with the bounded line reader:
//! a crash can leave a last line of any length without its newline, and
//! reading it must not hold it whole. This file holds one test, so that the
//! peak resident memory it measures is its own.

use mitmwatch_collect::batch::resume;
use std::io::Write;

/// The process's peak resident memory (`VmHWM`), in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let line = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .expect("VmHWM in /proc/self/status");
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

fn record(host: &str) -> String {
    format!("{{\"target\":{{\"host\":\"{host}\",\"port\":443,\"sni\":\"{host}\"}},\"x\":1}}\n")
}

#[test]
#[cfg(target_os = "linux")]
fn a_gigabyte_line_without_newline_is_cut_without_being_loaded() {
    const GIB: u64 = 1 << 30;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.jsonl");
    let kept = record("a.example") + &record("b.example");
    let mut f = std::fs::File::create(&path).unwrap();
    f.write_all(kept.as_bytes()).unwrap();
    // 1 GiB of zero bytes and no newline: sparse, so cheap to make.
    f.set_len(kept.len() as u64 + GIB).unwrap();
    drop(f);

    let before = peak_rss_kib();
    let state = resume::prepare(&path, true).unwrap();
    let grown_mib = (peak_rss_kib().saturating_sub(before)) / 1024;
    assert!(
        grown_mib < 64,
        "reading the file raised peak memory by {grown_mib} MiB"
    );
    assert_eq!(state.kept_lines, 2);
    assert_eq!(state.truncated_bytes, GIB);
    assert_eq!(state.records.len(), 2);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), kept);

    // The same line with a newline and a record after it is no crash
    // artefact: an error naming the line, and the file is left alone.
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    f.write_all(&vec![b'x'; 5 << 20]).unwrap();
    f.write_all(b"\n").unwrap();
    f.write_all(record("c.example").as_bytes()).unwrap();
    drop(f);
    let len = std::fs::metadata(&path).unwrap().len();
    let e = resume::prepare(&path, false).unwrap_err();
    assert!(
        e.to_string()
            .contains("out.jsonl:3: line is longer than 4 MiB"),
        "{e}"
    );
    assert_eq!(std::fs::metadata(&path).unwrap().len(), len);
}
