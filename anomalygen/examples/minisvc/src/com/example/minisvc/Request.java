package com.example.minisvc;

/** One client request: a block to store, read or delete. */
public class Request {
  public enum Kind { WRITE, READ, DELETE }

  private final long id;
  private final Kind kind;
  private final long blockId;
  private final byte[] data;
  private final long startNanos = System.nanoTime();

  public Request(long id, Kind kind, long blockId, byte[] data) {
    this.id = id;
    this.kind = kind;
    this.blockId = blockId;
    this.data = data;
  }

  public long getId() { return id; }
  public Kind getKind() { return kind; }
  public long getBlockId() { return blockId; }
  public byte[] getData() { return data; }
  public long elapsedMillis() { return (System.nanoTime() - startNanos) / 1000000L; }
}
