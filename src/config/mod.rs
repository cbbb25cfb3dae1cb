//! Config loading (see config issue).
