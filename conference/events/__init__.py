"""Events: the conference itself, its team and roles."""
