//! Database connection URLs inside values (filled in by the parser work).
