//! Reading and writing contract files as CSV or Parquet, one row type at a time.
//!
//! A file is a table of text cells with a header. [`read`] maps the header onto a
//! [`Record`] type's columns (case-insensitive, extra columns ignored, a missing required
//! column is a file-level error), then hands each row to [`Record::from_values`]. A row that
//! fails is reported with its number and reason in [`Loaded::rejected`] and the rest of the
//! file is kept. Row numbers count data rows from 1 (the header is not a row), so row `n` is
//! line `n + 1` of a CSV file without embedded newlines.

use std::borrow::Cow;
use std::fmt;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType};
use parquet::file::properties::{ReaderProperties, WriterProperties};
use parquet::file::reader::{FileReader, RowGroupReader};
use parquet::file::serialized_reader::{SerializedFileReader, SerializedRowGroupReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use rayon::prelude::*;

use crate::Date;

/// The file formats of the data contract, chosen by file extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// UTF-8 CSV with a header row (`.csv`).
    Csv,
    /// Apache Parquet with the same column names (`.parquet`), snappy or uncompressed.
    Parquet,
}

impl Format {
    /// The format a path's extension names.
    pub fn from_path(path: &Path) -> Result<Format, FileError> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(Format::Csv),
            Some("parquet") | Some("pq") => Ok(Format::Parquet),
            _ => Err(FileError::Extension {
                path: path.to_path_buf(),
            }),
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Parquet => "parquet",
        }
    }
}

/// One column of a contract table.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    /// Header name, lower case.
    pub name: &'static str,
    /// Whether the header must have it. A required column may still hold empty cells when the
    /// row type allows it; that is decided per row.
    pub required: bool,
}

/// A row type of the data contract.
pub trait Record: Sized + Send + Sync {
    /// What a file of these rows is called in messages ("returns extract").
    const WHAT: &'static str;
    /// The columns, in the order files are written.
    const COLUMNS: &'static [Column];

    /// Builds a row from its cells; a field problem that does not make the row unusable is
    /// pushed to `warnings` and the field treated as missing.
    fn from_values(values: &Values<'_>, warnings: &mut Vec<FieldIssue>)
    -> Result<Self, FieldIssue>;

    /// The cells of this row in [`Record::COLUMNS`] order; empty means missing.
    fn to_values(&self) -> Vec<String>;

    /// A key that must be unique within a file (e.g. `return_id`), if the type has one.
    fn unique_key(&self) -> Option<&str> {
        None
    }
}

/// The cells of one row, addressed by column name.
pub struct Values<'a> {
    columns: &'static [Column],
    cells: &'a [Option<&'a str>],
}

impl<'a> Values<'a> {
    /// Cells for `columns`, in order (used by tests and by callers that build rows in memory).
    pub fn new(columns: &'static [Column], cells: &'a [Option<&'a str>]) -> Values<'a> {
        Values { columns, cells }
    }

    /// The trimmed cell of `column`, `None` when absent or blank.
    pub fn get(&self, column: &'static str) -> Option<&'a str> {
        let i = self.columns.iter().position(|c| c.name == column)?;
        let cell = self.cells.get(i).copied().flatten()?.trim();
        (!cell.is_empty()).then_some(cell)
    }

    /// The cell of `column`, or an issue saying it is missing.
    pub fn required(&self, column: &'static str) -> Result<&'a str, FieldIssue> {
        self.get(column)
            .ok_or_else(|| FieldIssue::new(column, "is required but empty"))
    }
}

/// A problem with one field of one row. It never carries the field's value: values may be
/// personal data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldIssue {
    /// The column.
    pub field: &'static str,
    /// What is wrong, in words a data steward can act on.
    pub reason: String,
}

impl FieldIssue {
    /// An issue with `field`.
    pub fn new(field: &'static str, reason: impl Into<String>) -> FieldIssue {
        FieldIssue {
            field,
            reason: reason.into(),
        }
    }
}

/// A problem with one row, located by its 1-based data row number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowIssue {
    /// 1-based data row number (the header is not counted).
    pub row: u64,
    /// The field and reason.
    pub issue: FieldIssue,
}

impl fmt::Display for RowIssue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "row {}: {}: {}",
            self.row, self.issue.field, self.issue.reason
        )
    }
}

/// What reading a file produced: the good rows, the rejected ones and field warnings.
#[derive(Debug)]
pub struct Loaded<T> {
    /// Accepted rows, in file order.
    pub records: Vec<T>,
    /// 1-based row number of each accepted row (same length as `records`).
    pub rows: Vec<u64>,
    /// Rows that could not be used, with the reason.
    pub rejected: Vec<RowIssue>,
    /// Rows kept with a field treated as missing, with the reason.
    pub warnings: Vec<RowIssue>,
}

/// A file-level failure: nothing of the file could be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// The extension names no supported format.
    #[error("{}: unknown file format; use a .csv or .parquet file", path.display())]
    Extension {
        /// The file.
        path: PathBuf,
    },
    /// The file could not be opened, read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The CSV could not be parsed.
    #[error("{}: {message}", path.display())]
    Csv {
        /// The file.
        path: PathBuf,
        /// What the CSV reader said (row positions, never cell values).
        message: String,
    },
    /// The Parquet file could not be read or written.
    #[error("{}: parquet: {message}", path.display())]
    Parquet {
        /// The file.
        path: PathBuf,
        /// What the Parquet library said.
        message: String,
    },
    /// The header lacks a required column.
    #[error("{}: the {what} has no `{column}` column (required columns: {required})", path.display())]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// What kind of file it should be.
        what: &'static str,
        /// The missing column.
        column: &'static str,
        /// All required columns, comma-separated.
        required: String,
    },
    /// The same column appears twice in the header.
    #[error("{}: column `{column}` appears more than once in the header", path.display())]
    DuplicateColumn {
        /// The file.
        path: PathBuf,
        /// The repeated column.
        column: String,
    },
}

fn io_error(path: &Path) -> impl FnOnce(std::io::Error) -> FileError + '_ {
    move |source| FileError::Io {
        path: path.to_path_buf(),
        source,
    }
}

fn csv_error(path: &Path, e: &csv::Error) -> FileError {
    // The csv crate's messages name positions, but a UTF-8 error may quote bytes; keep only
    // the position for those.
    let message = match e.kind() {
        csv::ErrorKind::Utf8 { pos, .. } => format!(
            "invalid UTF-8 at row {}",
            pos.as_ref().map_or(0, csv::Position::record)
        ),
        csv::ErrorKind::Io(io) => io.to_string(),
        _ => e.to_string(),
    };
    FileError::Csv {
        path: path.to_path_buf(),
        message,
    }
}

fn parquet_error(path: &Path) -> impl FnOnce(parquet::errors::ParquetError) -> FileError + '_ {
    move |e| FileError::Parquet {
        path: path.to_path_buf(),
        message: e.to_string(),
    }
}

/// Maps file header names onto the record's columns: `map[i]` is the file position of
/// `T::COLUMNS[i]`.
fn column_map<T: Record>(path: &Path, header: &[String]) -> Result<Vec<Option<usize>>, FileError> {
    let normalised: Vec<String> = header
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_ascii_lowercase())
        .collect();
    for (i, name) in normalised.iter().enumerate() {
        let is_ours = T::COLUMNS.iter().any(|c| c.name == name);
        if is_ours && normalised[..i].contains(name) {
            return Err(FileError::DuplicateColumn {
                path: path.to_path_buf(),
                column: name.clone(),
            });
        }
    }
    T::COLUMNS
        .iter()
        .map(|c| {
            let pos = normalised.iter().position(|h| h == c.name);
            if pos.is_none() && c.required {
                let required: Vec<&str> = T::COLUMNS
                    .iter()
                    .filter(|c| c.required)
                    .map(|c| c.name)
                    .collect();
                return Err(FileError::MissingColumn {
                    path: path.to_path_buf(),
                    what: T::WHAT,
                    column: c.name,
                    required: required.join(", "),
                });
            }
            Ok(pos)
        })
        .collect()
}

/// What parsing one row produced.
struct Parsed<T> {
    row: u64,
    result: Result<T, FieldIssue>,
    warnings: Vec<FieldIssue>,
    /// Hash of the row's unique key, if it has one.
    key: Option<u64>,
}

fn parse_row<T: Record>(row: u64, cells: &[Option<&str>]) -> Parsed<T> {
    let mut warnings = Vec::new();
    let result = T::from_values(&Values::new(T::COLUMNS, cells), &mut warnings);
    let key = result.as_ref().ok().and_then(T::unique_key).map(key_hash);
    Parsed {
        row,
        result,
        warnings,
        key,
    }
}

fn key_hash(key: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(key)
}

/// Accepted rows of one stretch of a file, in file order. One buffer serves every stretch
/// of a read: a reader that keeps rows drains them, and what is left is cleared before the
/// next stretch (allocating and freeing megabytes per stretch had the kernel zeroing fresh
/// pages for a third of a large read).
#[derive(Debug)]
pub struct Accepted<T> {
    /// The rows.
    pub records: Vec<T>,
    /// 1-based row number of each (same length as `records`).
    pub rows: Vec<u64>,
}

impl<T> Default for Accepted<T> {
    fn default() -> Self {
        Accepted {
            records: Vec::new(),
            rows: Vec::new(),
        }
    }
}

/// What a file held besides its accepted rows, known once every row has been handed on.
#[derive(Debug, Default)]
pub struct Issues {
    /// Rows accepted.
    pub accepted: u64,
    /// Rows that could not be used, with the reason, in row order.
    pub rejected: Vec<RowIssue>,
    /// Rows kept with a field treated as missing, with the reason.
    pub warnings: Vec<RowIssue>,
}

/// Sorts parsed rows, in file order, into accepted rows and issues. A row whose unique key
/// an earlier row already has is rejected as a duplicate of it.
struct Collector<T> {
    issues: Issues,
    /// First rows by key, one shard per core, searched in parallel: a key always falls in
    /// the same shard and every shard sees the rows in file order, so together they find
    /// exactly the duplicates one table would.
    first: Vec<FirstRows>,
    _rows: PhantomData<T>,
}

/// The first row of every unique key seen, without a copy of each key: the keys' bytes live
/// in one buffer and the table holds their hash, place and row (an extract has millions of
/// return ids; one allocation per id made reading a third slower).
#[derive(Default)]
struct FirstRows {
    bytes: String,
    table: hashbrown::HashTable<KeySlot>,
}

#[derive(Clone, Copy)]
struct KeySlot {
    /// The key's hash, kept so that growing the table hashes no key again.
    hash: u64,
    start: usize,
    len: usize,
    row: u64,
}

impl FirstRows {
    /// Room for `keys` more keys of about `key_len` bytes each without growing.
    fn reserve(&mut self, keys: usize, key_len: usize) {
        self.table.reserve(keys, |s| s.hash);
        self.bytes.reserve(keys.saturating_mul(key_len));
    }

    /// The row that first had `key` (whose hash is `hash`); `None` (and `row` recorded as
    /// its first) if none did.
    fn first_or_insert(&mut self, key: &str, hash: u64, row: u64) -> Option<u64> {
        let bytes = &self.bytes;
        let entry = self.table.entry(
            hash,
            |s| s.hash == hash && &bytes[s.start..s.start + s.len] == key,
            |s| s.hash,
        );
        match entry {
            hashbrown::hash_table::Entry::Occupied(e) => Some(e.get().row),
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(KeySlot {
                    hash,
                    start: bytes.len(),
                    len: key.len(),
                    row,
                });
                self.bytes.push_str(key);
                None
            }
        }
    }
}

impl<T: Record> Collector<T> {
    fn new() -> Self {
        Collector {
            issues: Issues::default(),
            first: (0..rayon::current_num_threads().max(1))
                .map(|_| FirstRows::default())
                .collect(),
            _rows: PhantomData,
        }
    }

    /// Makes room, after the first `rows_seen` rows of a file expected to hold about
    /// `rows`, for the keys still to come (as many per row as so far, and as long), so that
    /// a large file's keys are not grown, rehashed and copied as it is read.
    fn make_room(&mut self, rows_seen: usize, rows: usize) {
        let keys: usize = self.first.iter().map(|f| f.table.len()).sum();
        let bytes: usize = self.first.iter().map(|f| f.bytes.len()).sum();
        if keys == 0 || rows <= rows_seen {
            return;
        }
        let more = ((rows - rows_seen) as f64 * keys as f64 / rows_seen as f64) as usize;
        let per_shard = more / self.first.len() + 1;
        for first in &mut self.first {
            first.reserve(per_shard, bytes / keys);
        }
    }

    /// Sorts `parsed` (emptied) into `out` (cleared first) and the issues.
    fn batch(&mut self, parsed: &mut Vec<Parsed<T>>, out: &mut Accepted<T>) {
        out.records.clear();
        out.rows.clear();
        let shards = self.first.len();
        let rows: &[Parsed<T>] = parsed;
        // (position in `parsed`, first row) of every duplicate, in order.
        let mut duplicates: Vec<(usize, u64)> = self
            .first
            .par_iter_mut()
            .enumerate()
            .flat_map_iter(|(k, first)| {
                rows.iter().enumerate().filter_map(move |(i, p)| {
                    let hash = p.key?;
                    // High bits pick the shard: the table itself indexes by the low ones.
                    if (hash >> 40) as usize % shards != k {
                        return None;
                    }
                    let key = p.result.as_ref().ok()?.unique_key()?;
                    first.first_or_insert(key, hash, p.row).map(|f| (i, f))
                })
            })
            .collect();
        duplicates.sort_unstable();
        let mut duplicates = duplicates.into_iter().peekable();
        for (i, p) in parsed.drain(..).enumerate() {
            let row = p.row;
            self.issues
                .warnings
                .extend(p.warnings.into_iter().map(|issue| RowIssue { row, issue }));
            let record = match p.result {
                Ok(record) => record,
                Err(issue) => {
                    self.issues.rejected.push(RowIssue { row, issue });
                    continue;
                }
            };
            if let Some((_, first)) = duplicates.next_if(|(d, _)| *d == i) {
                let issue =
                    FieldIssue::new(T::COLUMNS[0].name, format!("duplicate of row {first}"));
                self.issues.rejected.push(RowIssue { row, issue });
                continue;
            }
            out.records.push(record);
            out.rows.push(row);
        }
        self.issues.accepted += out.records.len() as u64;
    }

    fn finish(mut self) -> Issues {
        self.issues.rejected.sort_by_key(|r| r.row);
        self.issues
    }
}

/// Gathers every stretch of a file into one [`Loaded`].
fn gather<T: Send>(
    read: impl FnOnce(&mut Rows<'_, T>) -> Result<Issues, FileError>,
) -> Result<Loaded<T>, FileError> {
    let (mut records, mut rows) = (Vec::new(), Vec::new());
    let issues = read(&mut |a: &mut Accepted<T>| {
        records.append(&mut a.records);
        rows.append(&mut a.rows);
    })?;
    Ok(Loaded {
        records,
        rows,
        rejected: issues.rejected,
        warnings: issues.warnings,
    })
}

/// Where [`read_each`] hands accepted rows, one stretch of the file at a time; rows it
/// wants to keep it takes out (`Vec::append`, `drain`), since the buffer is reused.
pub type Rows<'a, T> = dyn FnMut(&mut Accepted<T>) + Send + 'a;

/// Reads a contract file of row type `T`, format chosen by extension.
pub fn read<T: Record>(path: &Path) -> Result<Loaded<T>, FileError> {
    gather(|each| read_each(path, each))
}

/// Reads a contract file of row type `T` without holding it: accepted rows go to `each` in
/// file order, a stretch at a time (while the next stretch is being read), and what was
/// rejected or warned about comes back at the end. A caller that folds rows into something
/// smaller (an index of taxpayers) never holds the whole file.
pub fn read_each<T: Record>(path: &Path, each: &mut Rows<'_, T>) -> Result<Issues, FileError> {
    match Format::from_path(path)? {
        Format::Csv => {
            let file = File::open(path).map_err(io_error(path))?;
            let size = file.metadata().ok().map(|m| m.len());
            each_csv_from(path, BufReader::with_capacity(1 << 20, file), size, each)
        }
        Format::Parquet => each_parquet(path, each),
    }
}

/// Reads CSV rows of type `T` from any reader; `path` only names the source in errors.
///
/// The CSV parser is sequential; building typed rows runs on every core. The two overlap:
/// while one batch of records is being turned into rows, the parser fills the other (the
/// two batches' record buffers are reused, not reallocated per row).
pub fn read_csv_from<T: Record, R: std::io::Read + Send>(
    path: &Path,
    reader: R,
) -> Result<Loaded<T>, FileError> {
    gather(|each| each_csv_from(path, reader, None, each))
}

/// [`read_csv_from`], handing accepted rows to `each` a batch at a time; `size` is the
/// file's length in bytes, when known.
fn each_csv_from<T: Record, R: std::io::Read + Send>(
    path: &Path,
    reader: R,
    size: Option<u64>,
    each: &mut Rows<'_, T>,
) -> Result<Issues, FileError> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let header: Vec<String> = csv
        .byte_headers()
        .map_err(|e| csv_error(path, &e))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let map = column_map::<T>(path, &header)?;
    let mut collector = Collector::<T>::new();
    let fill = |csv: &mut csv::Reader<R>, batch: &mut Records| -> Result<(), FileError> {
        batch.len = 0;
        while batch.len < BATCH {
            if batch.records.len() == batch.len {
                batch.records.push(csv::ByteRecord::new());
            }
            match csv.read_byte_record(&mut batch.records[batch.len]) {
                Ok(false) => break,
                Ok(true) => batch.len += 1,
                Err(e) => return Err(csv_error(path, &e)),
            }
        }
        Ok(())
    };
    let (mut current, mut next) = (Records::default(), Records::default());
    let mut parsed: Vec<Parsed<T>> = Vec::new();
    let mut accepted = Accepted::default();
    fill(&mut csv, &mut current)?;
    // The file's size over the first batch's bytes per row: about how many rows come.
    let mut expected = size.filter(|_| current.len == BATCH).map(|size| {
        let read = csv.position().byte().max(1);
        (size as f64 / read as f64 * current.len as f64) as usize
    });
    let mut row = 0u64;
    while current.len > 0 {
        let first = row + 1;
        row += current.len as u64;
        let ((), filled) = rayon::join(
            || {
                current.records[..current.len]
                    .par_iter()
                    .enumerate()
                    .map_init(Vec::new, |cells, (i, record)| {
                        let row = first + i as u64;
                        match fill_cells(record, &map, cells) {
                            Some(()) => parse_row::<T>(row, cells),
                            None => Parsed {
                                row,
                                result: Err(FieldIssue::new(
                                    T::COLUMNS[0].name,
                                    "row is not valid UTF-8",
                                )),
                                warnings: Vec::new(),
                                key: None,
                            },
                        }
                    })
                    .collect_into_vec(&mut parsed);
                collector.batch(&mut parsed, &mut accepted);
                each(&mut accepted);
            },
            || fill(&mut csv, &mut next),
        );
        filled?;
        if let Some(rows) = expected.take() {
            collector.make_room(current.len, rows);
        }
        std::mem::swap(&mut current, &mut next);
    }
    Ok(collector.finish())
}

/// Puts the cells of `record` into `cells` (cleared first) in the row type's column order
/// (`map`), borrowed from the record: a row type copies only what it keeps. `None` when a
/// cell the row type reads is not valid UTF-8; columns it ignores may hold anything.
///
/// A record that is valid UTF-8 as a whole (nearly every one) is checked in one pass
/// instead of one call per cell; a cell that does not start and end on a character
/// boundary of that text would be invalid on its own. Any other record is checked cell by
/// cell.
fn fill_cells<'r>(
    record: &'r csv::ByteRecord,
    map: &[Option<usize>],
    cells: &mut Vec<Option<&'r str>>,
) -> Option<()> {
    cells.clear();
    match std::str::from_utf8(record.as_slice()) {
        Ok(text) => {
            for pos in map {
                let range = pos.and_then(|p| record.range(p));
                cells.push(match range {
                    Some(range) => Some(text.get(range)?),
                    None => None,
                });
            }
        }
        Err(_) => {
            for pos in map {
                let cell = pos.and_then(|p| record.get(p));
                cells.push(cell.map(std::str::from_utf8).transpose().ok()?);
            }
        }
    }
    Some(())
}

/// Records read from a CSV file, of which the first `len` are this batch's.
#[derive(Default)]
struct Records {
    records: Vec<csv::ByteRecord>,
    len: usize,
}

fn field_text(field: &Field) -> Option<Cow<'_, str>> {
    match field {
        Field::Null => None,
        Field::Str(s) => Some(Cow::Borrowed(s)),
        Field::Bytes(b) => Some(String::from_utf8_lossy(b.data())),
        Field::Date(days) => Date::from_unix_days(*days).map(|d| Cow::Owned(d.to_string())),
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// Reads a Parquet file's row groups on every core (as many at a time as there are cores),
/// handing their rows on in file order. A parallel test reading a file written with several
/// row groups guards the order.
fn each_parquet<T: Record>(path: &Path, each: &mut Rows<'_, T>) -> Result<Issues, FileError> {
    let file = File::open(path).map_err(io_error(path))?;
    let reader = SerializedFileReader::new(file).map_err(parquet_error(path))?;
    let header: Vec<String> = reader
        .metadata()
        .file_metadata()
        .schema_descr()
        .root_schema()
        .get_fields()
        .iter()
        .map(|f| f.name().to_owned())
        .collect();
    let map = column_map::<T>(path, &header)?;
    let first_rows: Vec<u64> = reader
        .metadata()
        .row_groups()
        .iter()
        .scan(1u64, |next, g| {
            let first = *next;
            *next += g.num_rows().max(0) as u64;
            Some(first)
        })
        .collect();
    let metadata = reader.metadata();
    let props = Arc::new(ReaderProperties::builder().build());
    let read_group = |g: usize, first: u64| -> Result<Vec<Parsed<T>>, FileError> {
        // Each group gets its own file handle (handles cloned from one file share their
        // position, and parallel reads through them would interleave) but not its own parse
        // of the footer, which grows with the number of groups.
        let file = Arc::new(File::open(path).map_err(io_error(path))?);
        let group = SerializedRowGroupReader::new(
            file,
            metadata.row_group(g),
            metadata.page_index_for_row_group(g),
            Arc::clone(&props),
        )
        .map_err(parquet_error(path))?;
        let rows = group.get_row_iter(None).map_err(parquet_error(path))?;
        let mut out = Vec::new();
        for (i, row) in rows.enumerate() {
            let row = row.map_err(parquet_error(path))?;
            let fields: Vec<&Field> = row.get_column_iter().map(|(_, f)| f).collect();
            let cells: Vec<Option<Cow<'_, str>>> = map
                .iter()
                .map(|pos| pos.and_then(|p| fields.get(p)).and_then(|f| field_text(f)))
                .collect();
            let borrowed: Vec<Option<&str>> = cells.iter().map(Option::as_deref).collect();
            out.push(parse_row::<T>(first + i as u64, &borrowed));
        }
        Ok(out)
    };
    let mut collector = Collector::<T>::new();
    let mut accepted = Accepted::default();
    let numbered: Vec<(usize, u64)> = first_rows.into_iter().enumerate().collect();
    for wave in numbered.chunks(rayon::current_num_threads().max(1)) {
        let groups: Vec<Result<Vec<Parsed<T>>, FileError>> = wave
            .par_iter()
            .map(|&(g, first)| read_group(g, first))
            .collect();
        for group in groups {
            collector.batch(&mut group?, &mut accepted);
            each(&mut accepted);
        }
    }
    Ok(collector.finish())
}

/// CSV rows parsed per parallel batch.
const BATCH: usize = 16 * 1024;

/// Rows buffered per Parquet row group.
const ROW_GROUP: usize = 64 * 1024;

enum Sink {
    Csv(csv::Writer<BufWriter<File>>),
    Parquet {
        writer: SerializedFileWriter<BufWriter<File>>,
        columns: Vec<Vec<Option<String>>>,
    },
}

/// A streaming writer of contract rows of type `T`, format chosen by extension.
pub struct Writer<T> {
    path: PathBuf,
    sink: Sink,
    rows: u64,
    _row: PhantomData<fn(&T)>,
}

impl<T: Record> Writer<T> {
    /// Creates (or truncates) `path` and writes the header.
    pub fn create(path: &Path) -> Result<Writer<T>, FileError> {
        let format = Format::from_path(path)?;
        let file = File::create(path).map_err(io_error(path))?;
        let out = BufWriter::with_capacity(1 << 20, file);
        let sink = match format {
            Format::Csv => {
                let mut w = csv::Writer::from_writer(out);
                w.write_record(T::COLUMNS.iter().map(|c| c.name))
                    .map_err(|e| csv_error(path, &e))?;
                Sink::Csv(w)
            }
            Format::Parquet => {
                let fields: String = T::COLUMNS
                    .iter()
                    .map(|c| format!("optional binary {} (STRING);", c.name))
                    .collect();
                let message = format!("message crosscheck {{ {fields} }}");
                let schema = parquet::schema::parser::parse_message_type(&message)
                    .map_err(parquet_error(path))?;
                let props = WriterProperties::builder()
                    .set_compression(Compression::SNAPPY)
                    .build();
                let writer = SerializedFileWriter::new(out, Arc::new(schema), Arc::new(props))
                    .map_err(parquet_error(path))?;
                Sink::Parquet {
                    writer,
                    columns: vec![Vec::new(); T::COLUMNS.len()],
                }
            }
        };
        Ok(Writer {
            path: path.to_path_buf(),
            sink,
            rows: 0,
            _row: PhantomData,
        })
    }

    /// Appends one row.
    pub fn write(&mut self, record: &T) -> Result<(), FileError> {
        let values = record.to_values();
        self.rows += 1;
        match &mut self.sink {
            Sink::Csv(w) => w
                .write_record(&values)
                .map_err(|e| csv_error(&self.path, &e)),
            Sink::Parquet { columns, .. } => {
                for (col, v) in columns.iter_mut().zip(values) {
                    col.push((!v.is_empty()).then_some(v));
                }
                if columns[0].len() >= ROW_GROUP {
                    self.flush_row_group()?;
                }
                Ok(())
            }
        }
    }

    fn flush_row_group(&mut self) -> Result<(), FileError> {
        let Sink::Parquet { writer, columns } = &mut self.sink else {
            return Ok(());
        };
        if columns[0].is_empty() {
            return Ok(());
        }
        let path = &self.path;
        let mut group = writer.next_row_group().map_err(parquet_error(path))?;
        for col in columns.iter_mut() {
            let Some(mut column) = group.next_column().map_err(parquet_error(path))? else {
                break;
            };
            let defs: Vec<i16> = col.iter().map(|v| i16::from(v.is_some())).collect();
            let values: Vec<ByteArray> = col
                .drain(..)
                .flatten()
                .map(|s| ByteArray::from(s.into_bytes()))
                .collect();
            column
                .typed::<ByteArrayType>()
                .write_batch(&values, Some(&defs), None)
                .map_err(parquet_error(path))?;
            column.close().map_err(parquet_error(path))?;
        }
        group.close().map_err(parquet_error(path))?;
        Ok(())
    }

    /// Flushes everything and closes the file; returns the number of rows written.
    pub fn finish(mut self) -> Result<u64, FileError> {
        self.flush_row_group()?;
        let path = self.path;
        match self.sink {
            Sink::Csv(w) => {
                let mut out = w.into_inner().map_err(|e| FileError::Io {
                    path: path.clone(),
                    source: std::io::Error::other(e.to_string()),
                })?;
                std::io::Write::flush(&mut out).map_err(io_error(&path))?;
            }
            Sink::Parquet { writer, .. } => {
                writer.close().map_err(parquet_error(&path))?;
            }
        }
        Ok(self.rows)
    }
}

/// Writes all `records` to `path` and returns how many were written.
pub fn write_all<'a, T: Record + 'a>(
    path: &Path,
    records: impl IntoIterator<Item = &'a T>,
) -> Result<u64, FileError> {
    let mut writer = Writer::<T>::create(path)?;
    for r in records {
        writer.write(r)?;
    }
    writer.finish()
}

#[cfg(test)]
mod tests {
    use super::{Collector, FirstRows, Record, Values, key_hash};
    use crate::records::TaxReturn;

    #[test]
    fn values_are_trimmed_cells_by_column_name_and_blank_is_missing() {
        let cells = [Some("R1"), Some(" 123456789 "), None, Some("  ")];
        let v = Values::new(TaxReturn::COLUMNS, &cells);
        assert_eq!(v.get("tin"), Some("123456789"));
        assert_eq!(v.get("return_id"), Some("R1"));
        assert_eq!(v.get("tax_year"), None);
        assert_eq!(v.get("given_name"), None, "blank");
        assert_eq!(v.get("zip"), None, "no cell");
        assert_eq!(v.get("no_such_column"), None);
    }

    #[test]
    fn first_rows_tells_keys_apart_even_when_their_hashes_collide() {
        let mut first = FirstRows::default();
        assert_eq!(first.first_or_insert("R1", 7, 1), None);
        assert_eq!(first.first_or_insert("R2", 7, 2), None);
        assert_eq!(first.first_or_insert("R3", 7, 3), None);
        assert_eq!(first.first_or_insert("R2", 7, 4), Some(2));
        assert_eq!(first.first_or_insert("R3", 7, 5), Some(3));
        assert_eq!(first.first_or_insert("R1", 7, 6), Some(1));
        let mut first = FirstRows::default();
        let h = key_hash;
        assert_eq!(first.first_or_insert("R9", h("R9"), 7), None);
        assert_eq!(first.first_or_insert("R9", h("R9"), 8), Some(7));
        assert_eq!(first.first_or_insert("", h(""), 9), None);
        assert_eq!(first.first_or_insert("", h(""), 10), Some(9));
    }

    #[test]
    fn room_made_after_the_first_rows_holds_the_rest_of_the_file() {
        let mut collector = Collector::<TaxReturn>::new();
        let shards = collector.first.len();
        for i in 0..100u64 {
            let key = format!("R{i:05}");
            let hash = key_hash(&key);
            let shard = (hash >> 40) as usize % shards;
            collector.first[shard].first_or_insert(&key, hash, i + 1);
        }
        // 100 keys in 100 rows; the file promises 10,000 rows.
        collector.make_room(100, 10_000);
        for first in &collector.first {
            let room = first.table.capacity() - first.table.len();
            assert!(room > 9_900 / shards, "{room} free slots in a shard");
            assert!(first.bytes.capacity() - first.bytes.len() >= 9_900 / shards * 6);
        }
        // Rows without keys (a row type with none) make no room.
        let mut keyless = Collector::<TaxReturn>::new();
        keyless.make_room(100, 10_000);
        assert!(keyless.first.iter().all(|f| f.table.capacity() == 0));
    }
}
