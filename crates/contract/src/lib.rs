//! The data contract of crosscheck: what the interchange files hold and whether they are
//! well-formed.
//!
//! Four row types — [`TaxReturn`] (the custodian's extract), [`Subject`] (the requester's
//! people), [`Truth`] (synthetic or benchmark ground truth) and [`LinkResult`] (the matcher's
//! output) — all implement [`table::Record`], so one reader and one writer serve every file,
//! as UTF-8 CSV or Parquet chosen by extension. A bad row is reported with its row number and
//! reason and never stops the rest of the file; a bad optional field is reported as a warning
//! and treated as missing.
//!
//! ```
//! use crosscheck_contract::{table, Subject};
//! let csv = "subject_id,given_name,family_name,zip\nS1,Ana,Garcia Lopez,10001\n,Bo,Li,\n";
//! let loaded = table::read_csv_from::<Subject, _>("subjects.csv".as_ref(), csv.as_bytes()).unwrap();
//! assert_eq!(loaded.records.len(), 1);
//! assert_eq!(loaded.rejected[0].to_string(), "row 2: subject_id: is required but empty");
//! ```
//!
//! Validated identifiers live here too: [`Tin`] (SSN/ITIN/ATIN shape rules) and [`Date`].

pub mod date;
pub mod records;
pub mod table;
pub mod tin;

pub use compact_str::CompactString;
pub use date::{Date, DateError};
pub use records::{LinkResult, Outcome, Subject, TaxReturn, Truth};
pub use table::{Accepted, FileError, Format, Issues, Loaded, RowIssue};
pub use tin::{Tin, TinError, TinKind};
