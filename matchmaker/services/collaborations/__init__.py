"""Test and verification collaborations: proposing, terms, stages, comments, listing, results."""
