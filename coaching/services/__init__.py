"""Writes of the coaching app, by sub-domain."""
