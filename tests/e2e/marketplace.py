"""The simulated marketplace as a separate process (the package's launcher)."""

from stocksync.worker_process import MarketplaceProcess

__all__ = ["MarketplaceProcess"]
