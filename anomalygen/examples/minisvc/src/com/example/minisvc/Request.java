package com.example.minisvc;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** One client request: a block to store, read or delete. The client waits on it for the outcome. */
public class Request {
  public enum Kind { WRITE, READ, DELETE }

  /** How a request ended, as the client sees it. */
  public enum Outcome { OK, REJECTED, FAILED, TIMED_OUT }

  private final long id;
  private final Kind kind;
  private final long blockId;
  private final byte[] data;
  private final String clientId;
  private final long checksum;
  private final long startNanos = System.nanoTime();
  private final CountDownLatch done = new CountDownLatch(1);
  private volatile Outcome outcome;

  public Request(long id, Kind kind, long blockId, byte[] data) {
    this(id, kind, blockId, data, "client-0", data == null ? 0L : Checksums.crc32(data));
  }

  public Request(long id, Kind kind, long blockId, byte[] data, String clientId, long checksum) {
    this.id = id;
    this.kind = kind;
    this.blockId = blockId;
    this.data = data;
    this.clientId = clientId;
    this.checksum = checksum;
  }

  public long getId() { return id; }
  public Kind getKind() { return kind; }
  public long getBlockId() { return blockId; }
  public byte[] getData() { return data; }
  public String getClientId() { return clientId; }
  public long getChecksum() { return checksum; }
  public long elapsedMillis() { return (System.nanoTime() - startNanos) / 1000000L; }

  public void complete(Outcome o) {
    if (outcome == null) {
      outcome = o;
      done.countDown();
    }
  }

  /** The outcome, or TIMED_OUT when the server did not answer in time. */
  public Outcome await(long millis) throws InterruptedException {
    return done.await(millis, TimeUnit.MILLISECONDS) ? outcome : Outcome.TIMED_OUT;
  }
}
