//! Integration tests of the analysis engine: synthetic prints of known truth,
//! a handful of real SD14 prints, and the JSON contract of DESIGN §5.

mod contract;
mod real;
mod synthetic;
