"""Example Java trees shipped with anomalygen (the embedded default input); `anomalygen/core/example.py` says where
they lie."""
