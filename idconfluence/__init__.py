"""idconfluence: identity-governance workflows, drawn once and run on every trigger."""
