"""Log data: labelled sessions and (later) raw-log loaders."""
