//! Integration tests of the vault's public API (one test binary).

mod flow;
mod vectors;
