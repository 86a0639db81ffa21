"""Matching needs and capabilities: texts to vectors (``embeddings``), vectors stored in the
database, one in-memory index per worker kept current by the change log, and ranking with
explanations."""
