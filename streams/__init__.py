"""Faust agents: thin translators between Kafka topics and the pure domain."""
