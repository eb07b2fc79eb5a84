"""HTTP surface (FastAPI): thin adapters over the service core."""
