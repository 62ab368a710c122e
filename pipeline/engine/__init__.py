"""Running the plan of stages over a corpus: `run` (run.py), on the local engine or on Ray."""
