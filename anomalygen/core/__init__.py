"""The data model every stage speaks (statements, sessions and their datasets, event keys, log levels, template text,
input errors); it imports nothing of the project above `jsonl`, so any stage may import it and none imports another's
records."""
