"""Audit sampling plans: how many decisions QA audits each day, and which ones."""
