"""Organiser and staff accounts: login, passwords."""
