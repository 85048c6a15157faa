"""The benchmark sections; importing this package registers each of them (bench.registry)."""

from bench.sections import celery, client, dashboard, knowledge, live, pipeline, scale, tau2

__all__ = ["celery", "client", "dashboard", "knowledge", "live", "pipeline", "scale", "tau2"]
