"""The scavenger hunt: missions of people and places, completed by meetings and poster scans.

Read top-down: ``models`` → ``missions`` (the kinds, a registry of predicate classes) →
``service`` (completion, points, confirmation, fair play) → ``views`` / ``sockets``.
"""
