"""Badges: badge tokens, QR rendering, printable badge sheets and the public /b/<token> page."""
