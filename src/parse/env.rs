//! .env files: a line model that keeps positions and raw text (filled in by the parser work).
