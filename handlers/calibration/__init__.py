"""Calibration: blind rating sessions, agreement statistics and what to align on next."""
