"""The anisync demo village (see the demo game issue)."""
