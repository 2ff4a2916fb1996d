"""Escalations of system and platform issues to R&D and BPO contacts, chased until fixed."""
