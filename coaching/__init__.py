"""Coaching: annual plans and their review, checkpoints, reviews, cadence and reminders."""
