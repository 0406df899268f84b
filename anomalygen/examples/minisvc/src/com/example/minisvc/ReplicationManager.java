package com.example.minisvc;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.LogFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;

/** Copies blocks to peer nodes, retrying transient failures with backoff; the monitor finishes what it could not. */
public class ReplicationManager {
  public static final Log LOG = LogFactory.getLog(ReplicationManager.class);
  private static final int MAX_RETRIES = 3;
  private static final long BACKOFF_MILLIS = 2;

  private final int replication;
  private final List<String> peers = new ArrayList<>();
  private final PeerClient client;
  private final Set<String> dead = ConcurrentHashMap.newKeySet();
  private final Map<Long, Set<String>> holders = new ConcurrentHashMap<>();
  private final Map<Long, Set<String>> failed = new ConcurrentHashMap<>();
  private final Map<Long, byte[]> pending = new ConcurrentHashMap<>();

  public ReplicationManager(int replication) {
    this(replication, new PeerClient(1000, new FaultInjector()));
  }

  public ReplicationManager(int replication, PeerClient client) {
    this.replication = replication;
    this.client = client;
  }

  public void addPeer(String peer) {
    peers.add(peer);
    LOG.info("Added peer " + peer + " (" + peers.size() + " peers, replication " + replication + ")");
  }

  public List<String> getPeers() { return Collections.unmodifiableList(peers); }

  /** Sends the block to replication-1 peers; returns how many took it. */
  public int replicate(long blockId, byte[] data) {
    if (peers.isEmpty()) {
      LOG.warn("No peers available to replicate blk_" + blockId);
      return 0;
    }
    Set<String> have = holders.computeIfAbsent(blockId, b -> ConcurrentHashMap.newKeySet());
    Set<String> bad = failed.computeIfAbsent(blockId, b -> ConcurrentHashMap.newKeySet());
    List<String> targets = chooseTargets(blockId, replication - 1, Collections.emptySet());
    boolean timedOut = false;
    for (String peer : targets) {
      int attempt = 0;
      while (true) {
        try {
          if (attempt > 0) {
            Thread.sleep(BACKOFF_MILLIS << attempt);
          }
          client.send(peer, blockId, data, attempt);
          LOG.info("Replicated blk_" + blockId + " to " + peer);
          have.add(peer);
          break;
        } catch (TimeoutException e) {
          attempt++;
          if (attempt >= MAX_RETRIES) {
            LOG.warn("Timed out " + attempt + " times sending blk_" + blockId + " to " + peer);
            bad.add(peer);
            timedOut = true;
            break;
          }
          LOG.warn("Timeout after " + client.getTimeoutMillis() + " ms sending blk_" + blockId + " to " + peer
              + ", attempt " + attempt);
        } catch (IOException e) {
          attempt++;
          if (attempt >= MAX_RETRIES) {
            LOG.error("Giving up on blk_" + blockId + " to " + peer + " after " + attempt + " attempts", e);
            bad.add(peer);
            break;
          }
          LOG.warn(String.format("Retry %d for blk_%d to %s", attempt, blockId, peer));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          LOG.warn("Interrupted while replicating blk_" + blockId);
          return have.size();
        }
      }
    }
    int missing = targets.size() - have.size();
    if (missing > 0 && !timedOut) {
      for (String spare : chooseTargets(blockId, missing, union(targets, bad))) {
        if (sendOnce(spare, blockId, data)) {
          LOG.info("Replicated blk_" + blockId + " to replacement target " + spare);
          have.add(spare);
          missing--;
        }
      }
    }
    if (missing > 0) {
      LOG.warn("blk_" + blockId + " is under-replicated: " + (have.size() + 1) + " of " + replication
          + " replicas, queued for the replication monitor");
      pending.put(blockId, data);
    } else if (LOG.isDebugEnabled()) {
      LOG.debug("blk_" + blockId + " has all " + replication + " replicas");
    }
    return have.size();
  }

  private boolean sendOnce(String peer, long blockId, byte[] data) {
    try {
      client.send(peer, blockId, data, 0);
      return true;
    } catch (IOException | TimeoutException e) {
      LOG.warn("Replacement target " + peer + " failed for blk_" + blockId + ": " + e);
      failed.computeIfAbsent(blockId, b -> ConcurrentHashMap.newKeySet()).add(peer);
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** One re-replication round for a queued block; true when it is fully replicated (or gone). */
  public boolean rereplicate(long blockId) {
    byte[] data = pending.get(blockId);
    if (data == null) {
      return true;
    }
    Set<String> have = holders.getOrDefault(blockId, Collections.emptySet());
    int missing = replication - 1 - have.size();
    List<String> targets = chooseTargets(blockId, missing, union(have, failed.getOrDefault(blockId, Collections.emptySet())));
    if (targets.isEmpty()) {
      LOG.warn("No eligible target to re-replicate blk_" + blockId);
      return false;
    }
    for (String peer : targets) {
      if (sendOnce(peer, blockId, data)) {
        holders.computeIfAbsent(blockId, b -> ConcurrentHashMap.newKeySet()).add(peer);
        LOG.info("Re-replicated blk_" + blockId + " to " + peer);
        missing--;
      }
    }
    if (missing > 0) {
      return false;
    }
    pending.remove(blockId);
    LOG.info("blk_" + blockId + " is fully replicated again");
    return true;
  }

  public Collection<Long> pendingBlocks() { return new ArrayList<>(pending.keySet()); }

  public int pendingCount() { return pending.size(); }

  public void abandon(long blockId) {
    pending.remove(blockId);
  }

  public void markDead(String peer) {
    if (dead.add(peer)) {
      LOG.error("Peer " + peer + " is dead; blocks it held will be re-replicated");
      for (Map.Entry<Long, Set<String>> e : holders.entrySet()) {
        if (e.getValue().remove(peer)) {
          pending.putIfAbsent(e.getKey(), new byte[0]);
        }
      }
    }
  }

  /** Copies a block back from a peer that holds it. */
  public byte[] fetchFromPeer(long blockId) throws IOException {
    Set<String> have = holders.get(blockId);
    if (have == null || have.isEmpty()) {
      LOG.error("No peer holds a replica of blk_" + blockId);
      throw new IOException("no replica of blk_" + blockId);
    }
    for (String peer : have) {
      try {
        byte[] data = client.fetch(peer, blockId);
        LOG.info("Fetched blk_" + blockId + " (" + data.length + " bytes) from " + peer);
        return data;
      } catch (IOException e) {
        LOG.warn("Could not fetch blk_" + blockId + " from " + peer + ": " + e.getMessage());
      }
    }
    throw new IOException("every replica of blk_" + blockId + " is unreachable");
  }

  public void dropReplicas(long blockId) {
    for (int i = 0; i < replication && i < peers.size(); i++) {
      LOG.debug("Dropping replica of blk_" + blockId + " on " + peers.get(i));
    }
    Set<String> have = holders.remove(blockId);
    failed.remove(blockId);
    int dropped = 0;
    if (have != null) {
      for (String peer : have) {
        dropped += client.invalidate(peer, blockId) ? 1 : 0;
      }
    }
    if (pending.remove(blockId) != null) {
      LOG.info("Cancelled pending re-replication of deleted blk_" + blockId);
    }
    LOG.info("Invalidated " + dropped + " replicas of blk_" + blockId);
  }

  private List<String> chooseTargets(long blockId, int count, Collection<String> exclude) {
    List<String> out = new ArrayList<>();
    int n = peers.size();
    int start = (int) Math.floorMod(blockId, (long) n);
    for (int i = 0; i < n && out.size() < count; i++) {
      String p = peers.get((start + i) % n);
      if (!exclude.contains(p) && !dead.contains(p)) {
        out.add(p);
      }
    }
    return out;
  }

  private static Set<String> union(Collection<String> a, Collection<String> b) {
    Set<String> s = new HashSet<>(a);
    s.addAll(b);
    return s;
  }

  public void close() {
    if (!pending.isEmpty()) {
      LOG.warn("Shutting down with " + pending.size() + " under-replicated blocks");
    }
    client.close();
  }
}
