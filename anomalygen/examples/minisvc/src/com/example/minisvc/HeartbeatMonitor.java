package com.example.minisvc;

import org.apache.log4j.Logger;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/** Pings the peers on a fixed period, declares silent ones dead, and retries queued re-replications. */
public class HeartbeatMonitor implements Runnable {
  private static final Logger LOG = Logger.getLogger(HeartbeatMonitor.class);
  private static final int DEAD_AFTER = 3;
  private static final int MAX_ROUNDS = 5;
  private static final int STATUS_EVERY = 20;

  private final PeerClient client;
  private final ReplicationManager replication;
  private final StorageNode storage;
  private final long periodMillis;
  private final Map<String, Integer> missed = new HashMap<>();
  private final Map<Long, Integer> rounds = new HashMap<>();
  private volatile boolean running = true;
  private long ticks;

  public HeartbeatMonitor(PeerClient client, ReplicationManager replication, StorageNode storage, long periodMillis) {
    this.client = client;
    this.replication = replication;
    this.storage = storage;
    this.periodMillis = periodMillis;
  }

  @Override
  public void run() {
    LOG.info("Heartbeat monitor started: period " + periodMillis + " ms, " + replication.getPeers().size() + " peers");
    try {
      while (running) {
        Thread.sleep(periodMillis);
        checkOnce();
      }
      checkOnce();
    } catch (InterruptedException e) {
      LOG.warn("Heartbeat monitor interrupted");
    } finally {
      LOG.info("Heartbeat monitor stopped after " + ticks + " rounds");
    }
  }

  public void stop() {
    running = false;
  }

  void checkOnce() {
    ticks++;
    for (String peer : replication.getPeers()) {
      try {
        long micros = client.ping(peer);
        missed.put(peer, 0);
        if (LOG.isTraceEnabled()) {
          LOG.trace("Heartbeat from " + peer + " in " + micros + " us");
        }
      } catch (IOException e) {
        int n = missed.merge(peer, 1, Integer::sum);
        if (n >= DEAD_AFTER) {
          LOG.error("Peer " + peer + " missed " + n + " heartbeats in a row");
          replication.markDead(peer);
        } else {
          LOG.warn("Missed heartbeat from " + peer + " (" + n + " in a row): " + e.getMessage());
        }
      }
    }
    for (long blockId : replication.pendingBlocks()) {
      int n = rounds.merge(blockId, 1, Integer::sum);
      if (replication.rereplicate(blockId)) {
        rounds.remove(blockId);
      } else if (n >= MAX_ROUNDS) {
        LOG.error("Giving up re-replication of blk_" + blockId + " after " + n + " rounds");
        replication.abandon(blockId);
        rounds.remove(blockId);
      }
    }
    if (ticks % STATUS_EVERY == 0) {
      LOG.info("Cluster status: " + replication.getPeers().size() + " peers, " + replication.pendingCount()
          + " under-replicated blocks, " + storage.blockCount() + " blocks stored");
    }
  }
}
