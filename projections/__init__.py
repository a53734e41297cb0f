"""Read models derived from the event log: what operators and analysts query."""
