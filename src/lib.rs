pub use valence_engine as engine;
