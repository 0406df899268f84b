"""`anomalygen run`: every stage in order, resumable, ending in one HTML report."""
