"""Running the product: heartbeats, health and readiness, metrics, request ids and log lines."""
