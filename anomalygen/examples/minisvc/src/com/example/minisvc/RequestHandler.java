package com.example.minisvc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/** Validates a request and dispatches it by kind. */
public class RequestHandler {
  private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);
  private static final int MAX_BLOCK_SIZE = 64 * 1024;

  private final StorageNode storage;
  private final ReplicationManager replication;

  public RequestHandler(StorageNode storage, ReplicationManager replication) {
    this.storage = storage;
    this.replication = replication;
  }

  public void handle(Request req) throws IOException {
    log.info("Received request {} for block blk_{}", req.getId(), req.getBlockId());
    switch (req.getKind()) {
      case WRITE:
        if (req.getData() == null || req.getData().length > MAX_BLOCK_SIZE) {
          log.warn("Invalid block blk_{}: size out of range", req.getBlockId());
          throw new IOException("invalid block");
        }
        storage.write(req.getBlockId(), req.getData());
        replication.replicate(req.getBlockId());
        break;
      case READ:
        byte[] data = storage.read(req.getBlockId());
        log.info("Served block blk_{} ({} bytes)", req.getBlockId(), data.length);
        break;
      case DELETE:
        storage.delete(req.getBlockId());
        // fall through: a delete also drops the replicas
      default:
        replication.dropReplicas(req.getBlockId());
    }
  }
}
