"""Views of the coaching app, one module per area."""
