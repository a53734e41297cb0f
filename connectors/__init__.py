"""Marketplace connectors: push listing quantities and report the outcome."""
