"""Development tools: hot reload for the server and a warm test daemon. Never used in production."""
