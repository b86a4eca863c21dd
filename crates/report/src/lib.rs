//! Dermatoglyphic figures, interpretation tables and the PDF report.
