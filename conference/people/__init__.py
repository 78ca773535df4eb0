"""People: attendees, their handles and profiles, and the attendee import."""
