"""Benchmarks (not part of the test suite): soak, latency floor, HTTP throughput, build, scale."""
