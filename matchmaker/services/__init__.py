"""Business operations. Each takes a SQLAlchemy session, flushes (never commits) and raises
``matchmaker.services.errors`` exceptions that the web and API layers translate."""
