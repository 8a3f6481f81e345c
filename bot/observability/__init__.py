"""Logs with context and no secrets, Prometheus metrics, and the instrumentation of requests."""
