"""Forms of the targeting app, one module per area."""
