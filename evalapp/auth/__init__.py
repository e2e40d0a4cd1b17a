"""Accounts, roles scoped to units, login, API tokens and permission predicates."""
