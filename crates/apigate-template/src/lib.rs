//! Work in progress: the VTL engine (see the crate description).
