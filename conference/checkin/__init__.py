"""Check-in desk: check-in lists, exactly-once check-ins, the scan log and its JSON API."""
