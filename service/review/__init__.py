"""Inspection use cases: acceptance sampling (验收抽查) and its scoring sheet (no Flask)."""
