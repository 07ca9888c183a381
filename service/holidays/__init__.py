"""Public holidays and make-up working days kept in the database: file format, import, listing."""
