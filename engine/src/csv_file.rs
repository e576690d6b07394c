//! Streaming CSV input (catalogues, edge files, expectations): a csv reader
//! over the file, one reused record, and the exact 1-based line of every
//! record in bounded memory (the csv crate's own line counter skips blank
//! lines, and holding a line index of the whole file costs memory
//! proportional to it).
//!
//! Lines: the reader sees every byte the csv parser pulls and remembers, for
//! each run of bytes that are not line breaks still ahead of the current
//! record, its offset and line. A record's position (the byte after the
//! previous record, which may sit on blank lines before it) maps to the first
//! such run at or after it. The queue only holds the start of the record
//! being read and the runs of the csv buffer (at most 32,768 of them).

use std::collections::VecDeque;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use crate::{Error, Result};

/// The longest row (from its first character to its end) a CSV input may
/// have. A value is at most 64 KB (`limits::MAX_VALUE_BYTES`), refused with
/// its size by the readers; a row past this bound (a quote that is never
/// closed pulls the rest of the file into one record) is refused while it is
/// read, so no row holds more memory than this.
pub(crate) const MAX_RECORD_BYTES: u64 = 64 << 20;

/// The csv reader's buffer.
const BUFFER: usize = 1 << 16;

/// A CSV file read record by record, with the line of each.
pub(crate) struct CsvFile {
    path: PathBuf,
    rdr: csv::Reader<Tracked>,
    headers: csv::StringRecord,
    rec: csv::StringRecord,
}

impl CsvFile {
    /// Opens `path` and reads its header row.
    pub(crate) fn open(path: &Path) -> Result<CsvFile> {
        Self::open_limited(path, MAX_RECORD_BYTES)
    }

    /// [`Self::open`] with another bound on a row's length.
    pub(crate) fn open_limited(path: &Path, max_record: u64) -> Result<CsvFile> {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        let tracked = Tracked {
            file,
            offset: 0,
            line: 1,
            in_content: false,
            starts: VecDeque::new(),
            last_newline: None,
            eof: false,
            record_start: 0,
            max_record,
        };
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .buffer_capacity(BUFFER)
            .from_reader(tracked);
        let headers = match rdr.headers() {
            Ok(h) => h.clone(),
            Err(e) => return Err(read_error(path, rdr.get_mut(), e)),
        };
        let next = rdr.position().byte();
        rdr.get_mut().set_record_start(next);
        Ok(CsvFile {
            path: path.to_path_buf(),
            rdr,
            headers,
            rec: csv::StringRecord::new(),
        })
    }

    pub(crate) fn headers(&self) -> &csv::StringRecord {
        &self.headers
    }

    /// The next record and its 1-based line, `None` at the end. Refuses a
    /// quoted field that runs over a line break (it swallowed the rows after
    /// it), a quote still open at the end of the file, a row longer than
    /// [`MAX_RECORD_BYTES`] and text that is not UTF-8, each at its line.
    pub(crate) fn next_record(&mut self) -> Result<Option<(&csv::StringRecord, u64)>> {
        match self.rdr.read_record(&mut self.rec) {
            Ok(true) => {}
            Ok(false) => return Ok(None),
            Err(e) => return Err(read_error(&self.path, self.rdr.get_mut(), e)),
        }
        let start = self.rec.position().map_or(0, |p| p.byte());
        let next = self.rdr.position().byte();
        let tracked = self.rdr.get_mut();
        let (content, line) = tracked.content_at(start);
        let at_end = tracked.eof && tracked.last_newline.is_none_or(|n| n < content);
        tracked.set_record_start(next);
        check_multiline(&self.path, &self.rec, line)?;
        if at_end && open_quote_at_end(&self.path, content, tracked.max_record)? {
            return Err(Error::input(
                &self.path,
                line,
                "a quote opened on this line is never closed (the file ends inside it)",
            )
            .with_hint(QUOTE_HINT));
        }
        Ok(Some((&self.rec, line)))
    }
}

const QUOTE_HINT: &str = "close the quote; inside a quoted field write a quote as `\"\"`; \
                          fields cannot span lines";

/// Refuses a field holding a line break: a quoted field opened on `line`
/// that ran over the following lines.
fn check_multiline(path: &Path, rec: &csv::StringRecord, line: u64) -> Result<()> {
    for f in rec.iter() {
        let breaks = f.bytes().filter(|b| *b == b'\n').count() as u64;
        if breaks > 0 || f.contains('\r') {
            return Err(Error::input(
                path,
                line,
                format!(
                    "a quoted field opened on line {line} runs over {} line(s), to line {}: \
                     {} (an unterminated quote?)",
                    breaks + 1,
                    line + breaks,
                    crate::limits::quote(f)
                ),
            )
            .with_hint(QUOTE_HINT));
        }
    }
    Ok(())
}

/// Whether the file, read from `start` (a row on the file's last line, so
/// at most `max` bytes long) to its end, ends inside a quoted field
/// (RFC 4180: a quote opens a field only at its start).
fn open_quote_at_end(path: &Path, start: u64, max: u64) -> Result<bool> {
    let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
    f.seek(SeekFrom::Start(start))
        .map_err(|e| Error::io(path, e))?;
    let mut d = Vec::new();
    f.take(max + 1)
        .read_to_end(&mut d)
        .map_err(|e| Error::io(path, e))?;
    let (mut in_quote, mut field_start) = (false, true);
    let mut i = 0;
    while i < d.len() {
        let c = d[i];
        if in_quote {
            if c == b'"' {
                if d.get(i + 1) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quote = false;
                }
            }
        } else if c == b'"' && field_start {
            in_quote = true;
        }
        field_start = !in_quote && matches!(c, b',' | b'\n' | b'\r');
        i += 1;
    }
    Ok(in_quote)
}

/// A csv error as an input error at the line of the record it is about.
fn read_error(path: &Path, tracked: &mut Tracked, e: csv::Error) -> Error {
    let byte = e.position().map(|p| p.byte());
    let csv_line = e.position().map_or(0, |p| p.line());
    match e.into_kind() {
        csv::ErrorKind::Io(io) if io.get_ref().is_some_and(|r| r.is::<RowTooLong>()) => {
            let (_, line) = tracked.current();
            Error::input(
                path,
                line,
                format!(
                    "a row longer than {}: values are at most {} (a quote opened on line {line} \
                     and never closed, an unterminated quote?)",
                    crate::limits::human_bytes(tracked.max_record as usize),
                    crate::limits::human_bytes(crate::limits::MAX_VALUE_BYTES)
                ),
            )
            .with_hint(QUOTE_HINT)
        }
        csv::ErrorKind::Io(io) => Error::io(path, io),
        csv::ErrorKind::Utf8 { .. } => {
            let line = byte.map_or(csv_line, |b| tracked.content_at(b).1);
            Error::input(path, line, "invalid UTF-8 text").with_hint("save the file as UTF-8")
        }
        other => Error::input(path, csv_line, format!("malformed CSV: {other:?}")),
    }
}

/// The `io::Error` payload of a row over its bound.
#[derive(Debug)]
struct RowTooLong;

impl std::fmt::Display for RowTooLong {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a row longer than the bound")
    }
}

impl std::error::Error for RowTooLong {}

/// The file as the csv reader pulls it, with where lines start.
struct Tracked {
    file: File,
    /// Bytes handed to the csv reader so far.
    offset: u64,
    /// 1 + the line breaks (`\n`) handed out so far.
    line: u64,
    /// Whether the last byte handed out was not a line break.
    in_content: bool,
    /// (offset, line) of each run of non-break bytes at or after
    /// `record_start`, in file order.
    starts: VecDeque<(u64, u64)>,
    last_newline: Option<u64>,
    eof: bool,
    /// Where the record being read starts.
    record_start: u64,
    /// The longest row (bytes from its first character).
    max_record: u64,
}

impl Tracked {
    /// The first run of non-break bytes at or after `byte`: its offset and line.
    fn content_at(&mut self, byte: u64) -> (u64, u64) {
        while self.starts.front().is_some_and(|s| s.0 < byte) {
            self.starts.pop_front();
        }
        self.starts
            .front()
            .copied()
            .unwrap_or((self.offset, self.line))
    }

    /// The start of the record being read.
    fn current(&mut self) -> (u64, u64) {
        self.content_at(self.record_start)
    }

    fn set_record_start(&mut self, byte: u64) {
        self.record_start = byte;
        self.content_at(byte);
    }
}

impl Read for Tracked {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // The csv reader reads only once its buffer is used up, so every
        // byte handed out since the record's first character belongs to it:
        // only where that record starts is still needed (the queue holds at
        // most one buffer's runs), and its length so far is known.
        self.starts.truncate(1);
        if let Some(&(s, _)) = self.starts.front()
            && self.offset - s > self.max_record
        {
            return Err(std::io::Error::other(RowTooLong));
        }
        let n = self.file.read(buf)?;
        if n == 0 {
            self.eof = true;
        }
        for (i, &b) in buf[..n].iter().enumerate() {
            match b {
                b'\n' => {
                    self.line += 1;
                    self.in_content = false;
                    self.last_newline = Some(self.offset + i as u64);
                }
                b'\r' => self.in_content = false,
                _ if !self.in_content => {
                    self.in_content = true;
                    self.starts.push_back((self.offset + i as u64, self.line));
                }
                _ => {}
            }
        }
        self.offset += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
#[path = "csv_file_tests.rs"]
mod tests;
