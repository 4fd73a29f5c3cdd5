"""Message handlers: domain logic plus ports, one module per stream the router consumes."""
