//! Which taxpayer, if any, is this subject? Explainable probabilistic record linkage.
//!
//! This crate is pure and deterministic: it reads nothing and writes nothing; its callers
//! hand it records. [`evaluate`] scores a link result against ground truth.

pub mod evaluate;
