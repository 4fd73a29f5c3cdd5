"""The platform's event contracts as documents: AsyncAPI for every topic, one JSON Schema per event,
and the compatibility check that keeps committed contracts from breaking (``leadflow-contracts``)."""
