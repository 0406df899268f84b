"""Source analysis: log statement inventory, log-oriented CFGs, call graph and paths (Java)."""
