"""Sandbox endpoints for this vendor area: filled in by the issue that builds the area."""

urlpatterns: list = []
