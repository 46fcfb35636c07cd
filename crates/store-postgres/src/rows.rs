//! Row decoding is shared by every backend: see `sejahtera_store::rows`.

pub(crate) use sejahtera_store::rows::*;
