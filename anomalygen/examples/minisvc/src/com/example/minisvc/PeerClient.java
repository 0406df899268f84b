package com.example.minisvc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Transfers blocks to peer nodes. Peers are simulated in-process (each keeps its replicas in memory); every
 * transfer runs on the replication pool and is bounded by a timeout, as a network call would be.
 */
public class PeerClient {
  private static final Logger LOG = LoggerFactory.getLogger(PeerClient.class);

  private final long timeoutMillis;
  private final FaultInjector faults;
  private final Map<String, Map<Long, byte[]>> replicas = new ConcurrentHashMap<>();
  private final AtomicInteger threads = new AtomicInteger();
  private final ExecutorService pool;

  public PeerClient(long timeoutMillis, FaultInjector faults) {
    this.timeoutMillis = timeoutMillis;
    this.faults = faults;
    this.pool = Executors.newCachedThreadPool(r -> {
      Thread t = new Thread(r, "repl-" + threads.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  public long getTimeoutMillis() { return timeoutMillis; }

  public void send(String peer, long blockId, byte[] data, int attempt)
      throws IOException, TimeoutException, InterruptedException {
    Future<Long> f = pool.submit(() -> transfer(peer, blockId, data, attempt));
    try {
      long micros = f.get(timeoutMillis, TimeUnit.MILLISECONDS);
      LOG.debug("Sent {} bytes of blk_{} to {} in {} us", data.length, blockId, peer, micros);
    } catch (TimeoutException e) {
      f.cancel(true);
      throw e;
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException) {
        throw (IOException) cause;
      }
      throw new IOException("transfer to " + peer + " failed", cause);
    }
  }

  private long transfer(String peer, long blockId, byte[] data, int attempt) throws IOException, InterruptedException {
    long start = System.nanoTime();
    switch (faults.peerFault(blockId, peer, attempt)) {
      case REFUSE:
        throw new ConnectException("Connection refused: " + peer);
      case RESET:
        throw new SocketException("Connection reset by " + peer);
      case SLOW:
        Thread.sleep(timeoutMillis * 4);
        break;
      default:
        break;
    }
    replicas.computeIfAbsent(peer, p -> new ConcurrentHashMap<>()).put(blockId, data.clone());
    return (System.nanoTime() - start) / 1000L;
  }

  /** A peer's copy of a block. */
  public byte[] fetch(String peer, long blockId) throws IOException {
    Map<Long, byte[]> store = replicas.get(peer);
    byte[] data = store == null ? null : store.get(blockId);
    if (data == null) {
      throw new IOException(peer + " has no replica of blk_" + blockId);
    }
    return data.clone();
  }

  public boolean invalidate(String peer, long blockId) {
    Map<Long, byte[]> store = replicas.get(peer);
    return store != null && store.remove(blockId) != null;
  }

  /** Round-trip time of a heartbeat, in microseconds. */
  public long ping(String peer) throws IOException {
    long start = System.nanoTime();
    if (peer.isEmpty()) {
      throw new IOException("empty peer address");
    }
    return (System.nanoTime() - start) / 1000L;
  }

  public void close() {
    pool.shutdownNow();
    try {
      if (!pool.awaitTermination(1, TimeUnit.SECONDS)) {
        LOG.warn("Replication pool did not stop within 1 s");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
