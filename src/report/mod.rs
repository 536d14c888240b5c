//! Everything that turns a [`Report`](crate::metrics::Report) into bytes.
