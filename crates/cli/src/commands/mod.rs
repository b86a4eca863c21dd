//! One module per subcommand (or family): argument structs plus `run`.

pub mod analysis_center;
pub mod appointment;
pub mod case;
pub mod centre;
pub mod customer;
pub mod exchange;
pub mod intake;
pub mod print_analyze;
pub mod print_convert;
pub mod report;
pub mod serve;
pub mod staff;
pub mod tables_check;
