"""Tests that drive a real Chromium against the app served over HTTP (see conftest.py)."""
