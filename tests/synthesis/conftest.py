import sys
from pathlib import Path

# the LCFG/path test helpers (small Java trees in tmp folders) live beside the source-analysis tests
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "source"))
