"""The pure domain: events and the folds over them. No Faust, no Kafka, no I/O."""
