"""The daily queue-output digest: a day's figures from the queue data's per-day building blocks
(`handlers.queue_data`), its chart, and posting it once per channel and day."""
