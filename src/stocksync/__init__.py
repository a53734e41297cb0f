"""stocksync: event-sourced multichannel inventory sync on Kafka."""

__version__ = "0.1.0"
