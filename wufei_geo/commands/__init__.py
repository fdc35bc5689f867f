"""Sub-command groups of the ``wufei-geo`` CLI (one module per group, discovered automatically)."""
