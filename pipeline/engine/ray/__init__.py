"""The Ray engine: the same plan as the local engine, scheduled on Ray Data (optional extra)."""
