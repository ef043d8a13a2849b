"""Navio: travel & mobility platform backend."""

__version__ = "0.1.0"
