"""Pure functions over pandas series: derived metrics computed from stored history (no I/O)."""
