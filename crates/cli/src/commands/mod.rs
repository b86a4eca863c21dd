//! One module per subcommand (or family): argument structs plus `run`.

pub mod case;
pub mod centre;
pub mod customer;
pub mod intake;
pub mod print_analyze;
pub mod print_convert;
pub mod exchange;
pub mod analysis_center;
