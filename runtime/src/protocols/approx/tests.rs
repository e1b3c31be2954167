//! Tests of the approximations (filled below).
