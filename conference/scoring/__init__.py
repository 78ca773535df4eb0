"""Scoring: the append-only points ledger and every leaderboard."""
