"""Data access: the database and its units of work, and the base repository, manager and munger."""
