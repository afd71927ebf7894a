"""Accounts: sign-up, sign-in, sessions, rate limits, and the websocket-to-cookie hand-off.

- ``passwords``: argon2id hashing, off the event loop.
- ``tokens``: random 256-bit tokens and the keyed digests stored in their place.
- ``stores``: where sessions and rate-limit counters live (PostgreSQL, or Redis if configured).
- ``visitor``: who is on the other end of one websocket connection.
- ``service``: ``AccountService``, the operations pages call (sign up, sign in, sign out).
- ``cookies`` and ``http``: the session cookie, and the HTTP routes that set and clear it.

Users, credentials and stored sessions go through the usual layers in ``backend/data``.
"""
