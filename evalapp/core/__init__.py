"""Shared types, domain errors, text and time helpers used by every area."""
