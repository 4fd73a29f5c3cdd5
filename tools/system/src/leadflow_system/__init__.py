"""The whole system as separate processes, for the demo and the end-to-end tests."""
