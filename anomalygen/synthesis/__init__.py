"""Synthesis stage: feasible paths -> parameterised, labelled log sessions."""
