"""The platform-neutral chat model, events and port that handlers use."""
