"""Targeting: segments and customer profiles, priority tiers, accounts, contacts, named-account lists."""
