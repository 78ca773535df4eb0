"""Tests of the people feature: handles, the attendee import."""
