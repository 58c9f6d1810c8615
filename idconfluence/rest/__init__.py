"""What every /api/v1/ view shares: JSON errors, the intake parser, permissions over the Rules."""
