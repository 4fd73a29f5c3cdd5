"""devstack: real Kafka, PostgreSQL and Redis on a machine with no Docker engine."""
