"""The daily queue-output digest: load decisions, aggregate per day, build the digest."""
