"""Owns the Prometheus metrics of one app instance (its own registry: no process-global state)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "semsearch_http_requests_total",
            "HTTP requests by route and status",
            ["route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "semsearch_http_request_seconds",
            "HTTP request latency by route",
            ["route"],
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5),
        )
        self.searches = Histogram(
            "semsearch_search_seconds",
            "Time to answer one search (embedding + retrieval)",
            registry=self.registry,
            buckets=(0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1),
        )
        self.passages = Gauge(
            "semsearch_index_passages", "Passages in the served generation", registry=self.registry
        )
        self.swaps = Counter(
            "semsearch_generation_swaps_total", "Generations swapped in", registry=self.registry
        )
        self.ready = Gauge("semsearch_ready", "1 when a generation is being served", registry=self.registry)

    def render(self) -> bytes:
        return generate_latest(self.registry)
