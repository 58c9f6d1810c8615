"""Human-input tasks (built in the approvals issue)."""
