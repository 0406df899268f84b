package com.example.minisvc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.FileWriter;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The workload driver: clients that write blocks, read them back, update and delete some (each operation but
 * the write can be left out with --ops), with faults injected into a seeded share of the blocks. It records the ground truth (which fault each block got) in a CSV file.
 */
public class Workload {
  private static final Logger LOG = LoggerFactory.getLogger(Workload.class);
  private static final long REQUEST_TIMEOUT_MILLIS = 10000;
  private static final FaultInjector.Fault[] HARD = {
      FaultInjector.Fault.DISK_FULL, FaultInjector.Fault.PEER_DOWN, FaultInjector.Fault.SLOW_PEER,
      FaultInjector.Fault.CORRUPT_CHECKSUM, FaultInjector.Fault.BAD_REQUEST};
  private static final FaultInjector.Fault[] TRANSIENT = {
      FaultInjector.Fault.VOLUME_FULL, FaultInjector.Fault.FLAKY_PEER, FaultInjector.Fault.SLOW_ONCE};

  /** One block's life as the client plans it. */
  static final class Session {
    int index;
    long blockId;
    byte[] data;
    int reads;
    boolean rewrite;
    boolean delete;
    FaultInjector.Fault fault = FaultInjector.Fault.NONE;
  }

  private final ServiceConfig cfg;
  private final Server server;
  private final FaultInjector faults;
  private final AtomicLong requestIds = new AtomicLong(1000);
  private final AtomicInteger failedRequests = new AtomicInteger();
  private PrintWriter truth;

  public Workload(ServiceConfig cfg, Server server, FaultInjector faults) {
    this.cfg = cfg;
    this.server = server;
    this.faults = faults;
  }

  List<Session> plan() {
    List<Session> out = new ArrayList<>();
    List<FaultInjector.Fault> hard = new ArrayList<>();
    List<FaultInjector.Fault> soft = new ArrayList<>();
    for (FaultInjector.Fault f : HARD) {
      if (cfg.faultKinds.isEmpty() || cfg.faultKinds.contains(f)) {
        hard.add(f);
      }
    }
    for (FaultInjector.Fault f : TRANSIENT) {
      if (cfg.faultKinds.isEmpty() || cfg.faultKinds.contains(f)) {
        soft.add(f);
      }
    }
    for (int i = 0; i < cfg.blocks; i++) {
      Random rnd = new Random(mix(cfg.seed * 0x9E3779B97F4A7C15L + i));
      Session s = new Session();
      s.index = i;
      s.blockId = rnd.nextLong();
      s.data = new byte[256 + rnd.nextInt(4096)];
      rnd.nextBytes(s.data);
      double u = rnd.nextDouble();
      s.reads = u < 0.5 ? 1 : u < 0.8 ? 0 : 2;
      s.delete = rnd.nextDouble() < 0.3;
      s.rewrite = rnd.nextDouble() < 0.02;
      // operations left out by --ops are dropped after every draw, so the rest of the plan stays the same
      s.reads = cfg.ops.contains("read") ? s.reads : 0;
      s.delete = s.delete && cfg.ops.contains("delete");
      s.rewrite = s.rewrite && cfg.ops.contains("update");
      double f = rnd.nextDouble();
      if (f < cfg.faultRate && !hard.isEmpty()) {
        s.fault = hard.get(rnd.nextInt(hard.size()));
      } else if (f < cfg.faultRate + cfg.transientRate && !soft.isEmpty()) {
        s.fault = soft.get(rnd.nextInt(soft.size()));
      }
      out.add(s);
    }
    for (String spec : cfg.injections) {
      String[] kv = spec.split("@");
      int at = Integer.parseInt(kv[1]);
      if (at < out.size()) {
        out.get(at).fault = FaultInjector.Fault.parse(kv[0]);
      }
    }
    return out;
  }

  /** SplitMix64's finalizer: neighbouring seeds give unrelated streams. */
  static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  public void run() throws IOException, InterruptedException {
    List<Session> sessions = plan();
    truth = cfg.truthFile == null ? null : new PrintWriter(new FileWriter(cfg.truthFile, true), true);
    LOG.info("Workload starting: {} blocks, {} clients, seed {}", sessions.size(), cfg.clients, cfg.seed);
    long start = System.nanoTime();
    AtomicInteger next = new AtomicInteger();
    List<Thread> clients = new ArrayList<>();
    for (int c = 1; c <= cfg.clients; c++) {
      String name = "client-" + c;
      Thread t = new Thread(() -> {
        int i;
        while ((i = next.getAndIncrement()) < sessions.size()) {
          try {
            runSession(sessions.get(i), name);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }, name);
      clients.add(t);
      t.start();
    }
    for (Thread t : clients) {
      t.join();
    }
    LOG.info("Workload finished: {} sessions, {} failed requests, {} ms", sessions.size(), failedRequests.get(),
        (System.nanoTime() - start) / 1000000L);
    if (truth != null) {
      truth.close();
    }
  }

  private void runSession(Session s, String client) throws InterruptedException {
    record("start", s, "");
    faults.inject(s.blockId, s.fault);
    byte[] payload = s.data;
    long checksum = Checksums.crc32(s.data);
    if (s.fault == FaultInjector.Fault.BAD_REQUEST) {
      switch (s.index % 3) {
        case 0: payload = new byte[0]; break;
        case 1: payload = new byte[cfg.maxBlockSize + 1 + s.data.length]; break;
        default: checksum ^= 0x1L; break;
      }
    }
    Request.Outcome o = call(new Request(requestIds.incrementAndGet(), Request.Kind.WRITE, s.blockId, payload,
        client, checksum));
    if (o == Request.Outcome.FAILED) {
      Thread.sleep(5);
      o = call(new Request(requestIds.incrementAndGet(), Request.Kind.WRITE, s.blockId, payload, client, checksum));
    }
    String outcome = o.name();
    if (o == Request.Outcome.OK && s.rewrite) {
      // a client updating its block in place: a normal, if rare, overwrite
      byte[] update = s.data.clone();
      update[0] ^= 0x7f;
      o = call(new Request(requestIds.incrementAndGet(), Request.Kind.WRITE, s.blockId, update, client,
          Checksums.crc32(update)));
      outcome = o == Request.Outcome.OK ? outcome : "REWRITE_" + o.name();
    }
    if (o == Request.Outcome.OK) {
      boolean mustRead = s.fault == FaultInjector.Fault.CORRUPT_CHECKSUM && cfg.ops.contains("read");
      int reads = mustRead ? Math.max(1, s.reads) : s.reads;
      for (int r = 0; r < reads; r++) {
        Request.Outcome ro = call(new Request(requestIds.incrementAndGet(), Request.Kind.READ, s.blockId, null,
            client, 0L));
        if (ro != Request.Outcome.OK) {
          outcome = "READ_" + ro.name();
        }
      }
      if (s.delete) {
        call(new Request(requestIds.incrementAndGet(), Request.Kind.DELETE, s.blockId, null, client, 0L));
      }
    }
    record("end", s, outcome);
  }

  private Request.Outcome call(Request r) throws InterruptedException {
    server.submit(r);
    Request.Outcome o = r.await(REQUEST_TIMEOUT_MILLIS);
    if (o != Request.Outcome.OK) {
      failedRequests.incrementAndGet();
    }
    return o;
  }

  private synchronized void record(String event, Session s, String outcome) {
    if (truth != null) {
      truth.println(event + "," + s.index + ",blk_" + s.blockId + "," + s.fault.label() + ","
          + (s.fault.isHard() ? 1 : 0) + "," + outcome);
    }
  }
}
