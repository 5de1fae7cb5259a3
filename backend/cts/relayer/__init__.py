"""The relayer: acts on chain for residents (custodial keys or their own signatures) and pays their gas."""
