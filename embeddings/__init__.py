"""Texts into vectors, and nearest-neighbour search over them; knows nothing of Flask or the database."""
