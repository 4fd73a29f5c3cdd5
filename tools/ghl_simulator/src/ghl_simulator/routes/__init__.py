"""GHL API v2 routes the platform calls, one module per area."""
