"""Core services with no chain in them: configuration, database, password and session security, keystore."""
