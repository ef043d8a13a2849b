"""Notifications: e-mails over SMTP with retries and a delivery log, and each user's in-app
inbox, both fed by other contexts' events."""
