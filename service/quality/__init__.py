"""The 回头看 data-quality review: rules, the report over stored data, and its exports."""
