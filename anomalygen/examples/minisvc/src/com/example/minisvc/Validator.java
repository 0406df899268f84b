package com.example.minisvc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Checks a write before anything touches the disk: payload size, client, transfer checksum. */
public class Validator {
  private static final Logger log = LoggerFactory.getLogger(Validator.class);

  private final int maxBlockSize;

  public Validator(int maxBlockSize) {
    this.maxBlockSize = maxBlockSize;
  }

  public void validate(Request req) throws InvalidRequestException {
    byte[] data = req.getData();
    if (data == null || data.length == 0) {
      log.warn("Rejecting blk_{} from {}: empty payload", req.getBlockId(), req.getClientId());
      throw new InvalidRequestException("empty payload");
    }
    if (data.length > maxBlockSize) {
      log.warn("Invalid block blk_{}: size {} out of range (max {})", req.getBlockId(), data.length, maxBlockSize);
      throw new InvalidRequestException("block too large");
    }
    if (req.getClientId() == null || !req.getClientId().startsWith("client-")) {
      log.warn("Rejecting blk_{}: unknown client {}", req.getBlockId(), req.getClientId());
      throw new InvalidRequestException("unknown client");
    }
    long actual = Checksums.crc32(data);
    if (actual != req.getChecksum()) {
      log.warn("Checksum error in transfer of blk_{} from {}: client sent {}, received data has {}",
          req.getBlockId(), req.getClientId(), Long.toHexString(req.getChecksum()), Long.toHexString(actual));
      throw new InvalidRequestException("transfer checksum mismatch");
    }
    if (log.isDebugEnabled()) {
      log.debug("Validated blk_{} ({} bytes, crc {})", req.getBlockId(), data.length, Long.toHexString(actual));
    }
  }
}
