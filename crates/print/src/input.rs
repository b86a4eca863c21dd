//! Image input: every format a scanning station or NIST file may hold, decoded to 8-bit grey with its resolution.
