"""Location management: operators change live locations (API, CLI, bulk CSV), each change audited
and published to the locations.v1 directory the router reads."""
