"""Approval services: opening a task, deciding it, the sweep, and the console's actions."""
