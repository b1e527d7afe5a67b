//! Reading and writing contract files as CSV or Parquet, one row type at a time.
//!
//! A file is a table of text cells with a header. [`read`] maps the header onto a
//! [`Record`] type's columns (case-insensitive, extra columns ignored, a missing required
//! column is a file-level error), then hands each row to [`Record::from_values`]. A row that
//! fails is reported with its number and reason in [`Loaded::rejected`] and the rest of the
//! file is kept. Row numbers count data rows from 1 (the header is not a row), so row `n` is
//! line `n + 1` of a CSV file without embedded newlines.

use std::borrow::Cow;
use std::collections::hash_map::Entry;
use std::fmt;
use std::fs::File;
use std::io::{BufReader, BufWriter};
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use parquet::basic::Compression;
use parquet::data_type::{ByteArray, ByteArrayType};
use parquet::file::properties::WriterProperties;
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::file::writer::SerializedFileWriter;
use parquet::record::Field;
use rayon::prelude::*;
use rustc_hash::FxHashMap;

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
pub trait Record: Sized + Send {
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
}

fn parse_row<T: Record>(row: u64, cells: &[Option<&str>]) -> Parsed<T> {
    let mut warnings = Vec::new();
    let result = T::from_values(&Values::new(T::COLUMNS, cells), &mut warnings);
    Parsed {
        row,
        result,
        warnings,
    }
}

/// Accumulates parsed rows, in file order, into a [`Loaded`].
struct Collector<T> {
    loaded: Loaded<T>,
}

impl<T: Record> Collector<T> {
    fn new() -> Self {
        Collector {
            loaded: Loaded {
                records: Vec::new(),
                rows: Vec::new(),
                rejected: Vec::new(),
                warnings: Vec::new(),
            },
        }
    }

    fn add(&mut self, p: Parsed<T>) {
        let row = p.row;
        self.loaded
            .warnings
            .extend(p.warnings.into_iter().map(|issue| RowIssue { row, issue }));
        match p.result {
            Ok(record) => {
                self.loaded.records.push(record);
                self.loaded.rows.push(row);
            }
            Err(issue) => self.loaded.rejected.push(RowIssue { row, issue }),
        }
    }

    fn reject(&mut self, row: u64, reason: &str) {
        let issue = FieldIssue::new(T::COLUMNS[0].name, reason);
        self.loaded.rejected.push(RowIssue { row, issue });
    }

    /// Rejects every row whose unique key an earlier row already has (one pass over a hash
    /// map of borrowed keys, so no key is copied), and puts the rejections in row order.
    fn finish(mut self) -> Loaded<T> {
        let l = &mut self.loaded;
        // (index of the duplicate, row of the first record with its key)
        let duplicates: Vec<(usize, u64)> = {
            let mut first: FxHashMap<&str, u64> = FxHashMap::default();
            first.reserve(l.records.len());
            l.records
                .iter()
                .zip(&l.rows)
                .enumerate()
                .filter_map(|(i, (r, &row))| {
                    let key = r.unique_key()?;
                    match first.entry(key) {
                        Entry::Occupied(e) => Some((i, *e.get())),
                        Entry::Vacant(v) => {
                            v.insert(row);
                            None
                        }
                    }
                })
                .collect()
        };
        if !duplicates.is_empty() {
            let mut keep = vec![true; l.records.len()];
            for &(i, first_row) in &duplicates {
                keep[i] = false;
                let issue =
                    FieldIssue::new(T::COLUMNS[0].name, format!("duplicate of row {first_row}"));
                l.rejected.push(RowIssue {
                    row: l.rows[i],
                    issue,
                });
            }
            let mut records = keep.iter();
            l.records.retain(|_| *records.next().unwrap_or(&true));
            let mut rows = keep.iter();
            l.rows.retain(|_| *rows.next().unwrap_or(&true));
            l.rejected.sort_by_key(|r| r.row);
        }
        self.loaded
    }
}

/// Reads a contract file of row type `T`, format chosen by extension.
pub fn read<T: Record>(path: &Path) -> Result<Loaded<T>, FileError> {
    match Format::from_path(path)? {
        Format::Csv => read_csv(path),
        Format::Parquet => read_parquet(path),
    }
}

fn read_csv<T: Record>(path: &Path) -> Result<Loaded<T>, FileError> {
    let file = File::open(path).map_err(io_error(path))?;
    read_csv_from(path, BufReader::with_capacity(1 << 20, file))
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
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let header: Vec<String> = csv
        .byte_headers()
        .map_err(|e| csv_error(path, &e))?
        .iter()
        .map(|h| String::from_utf8_lossy(h).into_owned())
        .collect();
    let map = column_map::<T>(path, &header)?;
    let mut collector = Collector::<T>::new();
    let fill = |csv: &mut csv::Reader<R>, batch: &mut Batch| -> Result<(), FileError> {
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
    let (mut current, mut next) = (Batch::default(), Batch::default());
    fill(&mut csv, &mut current)?;
    let mut row = 0u64;
    while current.len > 0 {
        let first = row + 1;
        row += current.len as u64;
        let (parsed, filled) = rayon::join(
            || {
                current.records[..current.len]
                    .par_iter()
                    .enumerate()
                    .map(|(i, record)| {
                        // Cells borrow from the record: a row type copies only what it keeps.
                        let cells: Result<Vec<Option<&str>>, std::str::Utf8Error> = map
                            .iter()
                            .map(|pos| {
                                pos.and_then(|p| record.get(p))
                                    .map(std::str::from_utf8)
                                    .transpose()
                            })
                            .collect();
                        cells
                            .ok()
                            .map(|cells| parse_row::<T>(first + i as u64, &cells))
                    })
                    .collect::<Vec<Option<Parsed<T>>>>()
            },
            || fill(&mut csv, &mut next),
        );
        for (i, p) in parsed.into_iter().enumerate() {
            match p {
                Some(p) => collector.add(p),
                None => collector.reject(first + i as u64, "row is not valid UTF-8"),
            }
        }
        filled?;
        std::mem::swap(&mut current, &mut next);
    }
    Ok(collector.finish())
}

/// Records read from a CSV file, of which the first `len` are this batch's.
#[derive(Default)]
struct Batch {
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

/// Reads a Parquet file's row groups on every core, each into its rows in file order.
/// A parallel test reading a file written with several row groups guards the order.
fn read_parquet<T: Record>(path: &Path) -> Result<Loaded<T>, FileError> {
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
    let groups: Vec<Result<Vec<Parsed<T>>, FileError>> = first_rows
        .par_iter()
        .enumerate()
        .map(|(g, &first)| {
            // Each group gets its own file handle: handles cloned from one file share their
            // position, and parallel reads through them would interleave.
            let file = File::open(path).map_err(io_error(path))?;
            let reader = SerializedFileReader::new(file).map_err(parquet_error(path))?;
            let group = reader.get_row_group(g).map_err(parquet_error(path))?;
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
        })
        .collect();
    let mut collector = Collector::<T>::new();
    for group in groups {
        for p in group? {
            collector.add(p);
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
