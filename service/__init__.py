"""HTTP service: JSON search API, web page, health, metrics, hot swap of index generations."""
