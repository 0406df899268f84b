"""The names of the training-set arms, as the evaluation writes them (runs.csv's `arm`) and the report reads them
back; what each arm adds is `evaluate/arms.py`."""

from __future__ import annotations

BASELINE, SYNTHETIC, DUPLICATE, NAIVE = "baseline", "synthetic", "real-duplicate", "naive"
INVENTORY_RANDOM, ORACLE = "inventory-random", "oracle"
CONTROLS = (DUPLICATE, NAIVE, INVENTORY_RANDOM)
BUILT_IN = (BASELINE, *CONTROLS, ORACLE)  # arms that need no generator output
