package com.example.minisvc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/** Validates a request and dispatches it by kind. */
public class RequestHandler {
  private static final Logger log = LoggerFactory.getLogger(RequestHandler.class);
  private static final int MAX_BLOCK_SIZE = 64 * 1024;
  private static final long SLOW_REQUEST_MILLIS = 1000;

  private final StorageNode storage;
  private final ReplicationManager replication;
  private final Validator validator;

  public RequestHandler(StorageNode storage, ReplicationManager replication) {
    this(storage, replication, new Validator(MAX_BLOCK_SIZE));
  }

  public RequestHandler(StorageNode storage, ReplicationManager replication, Validator validator) {
    this.storage = storage;
    this.replication = replication;
    this.validator = validator;
  }

  public void handle(Request req) throws IOException {
    log.info("Received {} request {} for block blk_{} from {}", req.getKind(), req.getId(), req.getBlockId(),
        req.getClientId());
    switch (req.getKind()) {
      case WRITE:
        validator.validate(req);
        storage.write(req.getBlockId(), req.getData());
        int copies = replication.replicate(req.getBlockId(), req.getData());
        if (copies == 0) {
          log.warn("blk_{} is stored on this node only", req.getBlockId());
        }
        break;
      case READ:
        byte[] data;
        try {
          data = storage.read(req.getBlockId());
        } catch (ChecksumException e) {
          log.warn("Local replica of blk_{} is corrupt, fetching a good copy from a peer", req.getBlockId());
          data = replication.fetchFromPeer(req.getBlockId());
          storage.restore(req.getBlockId(), data);
        }
        log.info("Served block blk_{} ({} bytes)", req.getBlockId(), data.length);
        break;
      case DELETE:
        storage.delete(req.getBlockId());
        // fall through: a delete also drops the replicas
      default:
        replication.dropReplicas(req.getBlockId());
    }
    long ms = req.elapsedMillis();
    if (ms > SLOW_REQUEST_MILLIS) {
      log.warn("Slow {} of blk_{}: {} ms", req.getKind(), req.getBlockId(), ms);
    }
  }
}
