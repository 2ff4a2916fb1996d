"""The queue data every capability reads: ingest of decision and backlog files, the row checks, typed
Arrow loading, the per-day building blocks and synthetic examples. Read by the digest, quality,
calibration and sampling; it answers no command of its own, so it is not a capability users see."""
