package com.example.minisvc;

import java.io.IOException;

/** A stored block whose contents no longer match its checksum. */
public class ChecksumException extends IOException {
  private final long blockId;

  public ChecksumException(long blockId, String message) {
    super(message);
    this.blockId = blockId;
  }

  public long getBlockId() { return blockId; }
}
