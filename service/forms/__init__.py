"""The printed forms: 附件1 and 附件2 as PDFs, filled from the records (see render.py)."""
