//! The streaming reader gives every record the line the former in-memory
//! reader gave (a line index of the whole file), on random files made of
//! the characters that matter: quotes, commas, CR, LF, spaces.

use std::io::Write;

use proptest::prelude::*;

use super::*;

fn write(dir: &tempfile::TempDir, text: &[u8]) -> PathBuf {
    let p = dir.path().join("f.csv");
    std::fs::File::create(&p).unwrap().write_all(text).unwrap();
    p
}

/// The former reader: the whole file in memory, a line index, and each
/// record's line found by skipping the line breaks at its position.
fn lines_in_memory(data: &[u8]) -> Vec<(Vec<String>, u64)> {
    let mut starts = vec![0];
    starts.extend(
        data.iter()
            .enumerate()
            .filter(|(_, b)| **b == b'\n')
            .map(|(i, _)| i + 1),
    );
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(data);
    let mut out = Vec::new();
    for rec in rdr.byte_records() {
        let rec = rec.unwrap();
        let mut b = rec.position().unwrap().byte() as usize;
        while b < data.len() && matches!(data[b], b'\n' | b'\r') {
            b += 1;
        }
        let line = starts.partition_point(|&s| s <= b) as u64;
        let fields = rec
            .iter()
            .map(|f| String::from_utf8_lossy(f).into_owned())
            .collect();
        out.push((fields, line));
    }
    out
}

/// Records and lines from [`CsvFile`], up to its first error (with its line).
fn lines_streamed(path: &Path) -> (Vec<(Vec<String>, u64)>, Option<u64>) {
    let mut f = CsvFile::open(path).unwrap();
    let mut out = Vec::new();
    loop {
        match f.next_record() {
            Ok(Some((rec, line))) => out.push((rec.iter().map(str::to_string).collect(), line)),
            Ok(None) => return (out, None),
            Err(e) => match e {
                Error::Input { loc, .. } => return (out, Some(loc.line)),
                other => panic!("{other}"),
            },
        }
    }
}

proptest! {
    #[test]
    fn lines_match_the_in_memory_index(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("a"), Just("bc"), Just(","), Just("\n"), Just("\r\n"), Just("\r"),
                Just("\n\n"), Just("\"q\""), Just("\"x,y\""), Just("  "), Just("\"\"")
            ],
            0..60,
        )
    ) {
        let dir = tempfile::tempdir().unwrap();
        let text = format!("h1,h2\n{}", parts.concat());
        let p = write(&dir, text.as_bytes());
        let old = lines_in_memory(text.as_bytes());
        let (new, err) = lines_streamed(&p);
        // Same records, same lines, up to the first refused one (a field
        // over a line break, or a quote open at the end), which the former
        // reader refused at the same line.
        prop_assert_eq!(&old[..new.len()], &new[..]);
        if let Some(line) = err {
            prop_assert_eq!(old[new.len()].1, line);
        } else {
            prop_assert_eq!(old.len(), new.len());
        }
    }
}

#[test]
fn blank_lines_crlf_and_quotes_keep_exact_lines() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(
        &dir,
        b"a,b\r\n\r\n\"x,1\",\"say \"\"hi\"\"\"\r\n\n\n   \nz,2",
    );
    let (recs, err) = lines_streamed(&p);
    assert_eq!(err, None);
    let got: Vec<(Vec<&str>, u64)> = recs
        .iter()
        .map(|(f, l)| (f.iter().map(String::as_str).collect(), *l))
        .collect();
    assert_eq!(
        got,
        vec![
            (vec!["x,1", "say \"hi\""], 3),
            (vec!["   "], 6),
            (vec!["z", "2"], 7)
        ]
    );
}

#[test]
fn a_quote_never_closed_is_refused_at_its_line() {
    let dir = tempfile::tempdir().unwrap();
    // On the last line, after a blank line (the former reader missed it there).
    let p = write(&dir, b"a,b\nx,1\n\ny,\"2");
    assert_eq!(lines_streamed(&p).1, Some(4));
    // Over line breaks: the field runs to the end of the file.
    let p = write(&dir, b"a,b\nx,\"1\ny,2\nz,3\n");
    let e = CsvFile::open(&p).unwrap().next_record().unwrap_err();
    assert!(
        e.to_string()
            .contains("f.csv:2: a quoted field opened on line 2 runs over 4 line(s), to line 5"),
        "{e}"
    );
}

#[test]
fn a_row_longer_than_the_limit_is_an_error_not_a_huge_record() {
    // The default bound is 64 MB; 1 MB behaves the same and keeps the test small.
    const MAX: u64 = 1 << 20;
    let dir = tempfile::tempdir().unwrap();
    let mut text = b"a,b\nx,1\ny,\"".to_vec();
    text.extend(std::iter::repeat_n(b'v', MAX as usize + BUFFER * 2));
    let p = write(&dir, &text);
    let mut f = CsvFile::open_limited(&p, MAX).unwrap();
    assert_eq!(f.next_record().unwrap().unwrap().1, 2);
    let e = f.next_record().unwrap_err();
    let m = e.to_string();
    assert!(m.contains("f.csv:3: a row longer than 1.0 MB"), "{m}");
    assert!(m.contains("unterminated quote"), "{m}");
    // Many blank lines before a row are not a long row.
    let mut text = b"a,b\n".to_vec();
    text.extend(std::iter::repeat_n(b'\n', MAX as usize * 2));
    text.extend(b"x,1\n");
    let p = write(&dir, &text);
    let mut f = CsvFile::open_limited(&p, MAX).unwrap();
    assert_eq!(f.next_record().unwrap().unwrap().1, MAX * 2 + 2);
    assert!(f.next_record().unwrap().is_none());
}

#[test]
fn invalid_utf8_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let p = write(&dir, b"a,b\nx,1\n\n\ny,\xff\xfe\n");
    let e = {
        let mut f = CsvFile::open(&p).unwrap();
        f.next_record().unwrap();
        f.next_record().unwrap_err()
    };
    assert!(e.to_string().contains("f.csv:5: invalid UTF-8"), "{e}");
}

#[test]
fn lines_stay_exact_across_many_buffers() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from("a,b\n");
    let mut want = Vec::new();
    let mut line = 2u64;
    for i in 0..40_000u64 {
        // Blank lines, CRLF and quoted fields of varying length.
        for _ in 0..i % 3 {
            text.push_str(if i % 2 == 0 { "\r\n" } else { "\n" });
            line += 1;
        }
        text.push_str(&format!("\"v{i}{}\",{i}\n", "x".repeat((i % 17) as usize)));
        want.push(line);
        line += 1;
    }
    assert!(text.len() > 10 * BUFFER);
    let p = write(&dir, text.as_bytes());
    let (recs, err) = lines_streamed(&p);
    assert_eq!(err, None);
    let got: Vec<u64> = recs.iter().map(|r| r.1).collect();
    assert_eq!(got, want);
    assert_eq!(recs[39_999].0[1], "39999");
}
