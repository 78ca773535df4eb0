"""Who you know online, meetings by badge scan, recognition bonuses and taking people home.

Public functions other features use (kept stable):

- ``service.record_meeting`` — the one way a meeting is recorded (badge opener, "add back");
- ``service.register_meeting_listener`` — run code (a hunt's missions) for every new meeting;
- ``service.relation`` / ``service.follows_between`` — how two attendees know each other online;
- ``service.meeting_count`` / ``service.met_ids`` — what the hunt's "meet N" missions need.
"""
