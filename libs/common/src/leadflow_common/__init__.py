"""Shared contracts and plumbing for the leadflow services."""
