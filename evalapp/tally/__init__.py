"""Counting rules as pure Python: no Flask, no database. Quorum, percentage bases, half-up
rounding, consequence bands and rule-set presets live here and only here."""
