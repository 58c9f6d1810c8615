"""Per-client API tokens: hashed, scoped, revocable, optionally expiring, audited."""
