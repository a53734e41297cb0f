"""Build files for the local Kafka broker: the Maven POM that fetches its jars, its log config."""
