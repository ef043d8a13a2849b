"""Trips: trips, items, collaborators and invites, sharing, comments, activity feed, exports."""
