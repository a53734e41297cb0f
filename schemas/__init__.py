"""The Avro contract: one named record per stock event, and the single-object codec."""
