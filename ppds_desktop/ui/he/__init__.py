"""Homomorphic aggregation pages (Qt); the work is done by ``services.he``."""
