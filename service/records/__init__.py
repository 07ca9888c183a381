"""Records without Flask: the 26 items, code tables, validators, Excel in and out, quality rules."""
