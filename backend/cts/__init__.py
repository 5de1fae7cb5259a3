"""CTS, the Citizen Token System: backend package (chain client, relayer, API, web pages, audit, CLI)."""

__version__ = "0.1.0"
