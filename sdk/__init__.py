"""anisync SDK: the engine-agnostic runtime."""
