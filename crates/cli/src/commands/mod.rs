//! One module per subcommand: a clap `Args` struct and a `run()` function.

pub mod db;
pub mod demo;
pub mod eligibility;
pub mod evaluate;
pub mod export;
pub mod import;
pub mod init;
pub mod ledger;
pub mod measure;
pub mod mpi;
pub mod partner;
pub mod pb;
pub mod pmt;
pub mod program;
pub mod regions;
pub mod serve;
pub mod summary;
pub mod user;
