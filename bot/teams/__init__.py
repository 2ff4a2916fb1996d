"""The Microsoft Teams adapter: Bot Framework activities in, Adaptive Cards out, through the same handlers."""
