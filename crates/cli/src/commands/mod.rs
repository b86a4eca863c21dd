//! One module per subcommand: argument struct plus `run`.

pub mod print_analyze;
pub mod print_convert;
