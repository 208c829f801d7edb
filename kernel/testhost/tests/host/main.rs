//! The test host's own tests, in one binary (the kernel is linked once).

mod checks;
mod promises;
