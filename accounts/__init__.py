"""Accounts: users, regions, teams, the reporting line, roles and the visibility rule."""
