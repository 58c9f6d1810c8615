"""Template tags of the workflow console."""
