package com.example.minisvc;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/** Copies blocks to peer nodes, retrying transient failures. */
public class ReplicationManager {
  public static final Log LOG = LogFactory.getLog(ReplicationManager.class);
  private static final int MAX_RETRIES = 3;

  private final int replication;
  private final List<String> peers = new ArrayList<>();

  public ReplicationManager(int replication) {
    this.replication = replication;
  }

  public void replicate(long blockId) {
    if (peers.isEmpty()) {
      LOG.warn("No peers available to replicate blk_" + blockId);
      return;
    }
    for (String peer : peers) {
      int attempt = 0;
      while (true) {
        try {
          send(peer, blockId);
          LOG.info("Replicated blk_" + blockId + " to " + peer);
          break;
        } catch (IOException e) {
          attempt++;
          if (attempt >= MAX_RETRIES) {
            LOG.error("Giving up on blk_" + blockId + " to " + peer + " after " + attempt + " attempts", e);
            break;
          }
          LOG.warn(String.format("Retry %d for blk_%d to %s", attempt, blockId, peer));
        }
      }
    }
  }

  public void dropReplicas(long blockId) {
    for (int i = 0; i < replication && i < peers.size(); i++) {
      LOG.debug("Dropping replica of blk_" + blockId + " on " + peers.get(i));
    }
  }

  private void send(String peer, long blockId) throws IOException {
    if (peer.isEmpty()) {
      throw new IOException("empty peer address");
    }
  }
}
