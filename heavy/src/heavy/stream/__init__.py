"""The live stream: the guard around each websocket connection, its taps, and recordings."""
