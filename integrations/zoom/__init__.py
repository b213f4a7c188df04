"""Zoom meetings for appointments and surrogate records, created exactly once through the
member's connected Zoom account (integrations.connections)."""
