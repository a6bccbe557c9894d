"""signaldesk: a self-hosted AI x Crypto market-signal desk."""

__version__ = "0.1.0"
