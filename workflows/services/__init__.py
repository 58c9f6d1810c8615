"""Writes to workflows, versions, runs and executions: `<entity>_<verb>` functions, one module
per concern (versions, runs, executions, sweeps, triggers, schedules, webhooks)."""
