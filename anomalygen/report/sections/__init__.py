"""One module per report section; each exposes `ID`, `TITLE` and `render(run: RunDir) -> str` (the body)."""
