"""Shared machinery with no business rules. Imports no context."""
