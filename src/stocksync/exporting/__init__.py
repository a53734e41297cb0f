"""`stocksync export`: a topic's messages, decoded, as an Avro object container file, a Parquet
file or a CSV file; and the way back, an Avro export of stock-events published again.

- `values`: which topics export, the Avro schemas of their values and how their bytes decode;
- `envelope`: the Avro schema of an exported message (metadata + a union of the value records);
- `bounded_read`: the messages of a time range, up to the end the topic had when the read began;
- `columns`: the flat columns of Parquet and CSV;
- `files`: the three file writers;
- `exporter`: one export, from the topic to the file;
- `reimport`: the messages of an Avro export of stock-events, checked and encoded for publishing.
"""
