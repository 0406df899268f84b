package com.example.minisvc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** Accepts requests and hands them to the handler on its worker threads. */
public class Server implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Server.class);
  static final String NAME = "minisvc";
  static final int PORT = 50010;

  private final BlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final RequestHandler handler;
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean running = true;

  public Server(RequestHandler handler) {
    this.handler = handler;
    LOG.info("Starting " + NAME + " server");
  }

  public void start(int count) {
    for (int i = 1; i <= count; i++) {
      Thread t = new Thread(this, "worker-" + i);
      workers.add(t);
      t.start();
    }
    LOG.info("{} listening on port {} with {} workers", NAME, PORT, count);
  }

  public void submit(Request r) {
    if (!running) {
      LOG.warn("Rejecting request {}: server is stopping", r.getId());
      r.complete(Request.Outcome.REJECTED);
      return;
    }
    queue.add(r);
  }

  @Override
  public void run() {
    while (running) {
      Request r;
      try {
        r = queue.take();
      } catch (InterruptedException e) {
        LOG.info("Server thread interrupted, shutting down");
        running = false;
        break;
      }
      try {
        handler.handle(r);
        r.complete(Request.Outcome.OK);
      } catch (InvalidRequestException e) {
        LOG.warn("Rejected request {} for blk_{}: {}", r.getId(), r.getBlockId(), e.getMessage());
        r.complete(Request.Outcome.REJECTED);
      } catch (IOException e) {
        LOG.error("Failed to handle request " + r.getId() + " for blk_" + r.getBlockId(), e);
        r.complete(Request.Outcome.FAILED);
      } catch (RuntimeException e) {
        LOG.error("Unexpected error in request " + r.getId() + " for blk_" + r.getBlockId(), e);
        r.complete(Request.Outcome.FAILED);
      } finally {
        if (LOG.isDebugEnabled()) {
          LOG.debug("Finished request {} in {} ms", r.getId(), r.elapsedMillis());
        }
      }
    }
    LOG.info("Server stopped");
  }

  public void shutdown() throws InterruptedException {
    running = false;
    int left = queue.size();
    if (left > 0) {
      LOG.warn("Shutting down with {} queued requests", left);
    }
    for (Thread t : workers) {
      t.interrupt();
    }
    for (Thread t : workers) {
      t.join();
    }
  }

  public static void main(String[] args) throws Exception {
    ServiceConfig cfg = ServiceConfig.parse(args);
    FaultInjector faults = new FaultInjector();
    StorageNode node = new StorageNode(cfg.dataDir, cfg.volumes, faults);
    node.recover();
    PeerClient client = new PeerClient(cfg.peerTimeoutMillis, faults);
    ReplicationManager repl = new ReplicationManager(cfg.replication, client);
    for (int i = 1; i <= cfg.peers; i++) {
      repl.addPeer("peer-" + i + ":" + PORT);
    }
    Server server = new Server(new RequestHandler(node, repl, new Validator(cfg.maxBlockSize)));
    server.start(cfg.workers);
    HeartbeatMonitor monitor = new HeartbeatMonitor(client, repl, node, cfg.heartbeatMillis);
    Thread t = new Thread(monitor, "heartbeat");
    t.setDaemon(true);
    t.start();
    if (cfg.blocks == 0) {
      t.join();
      return;
    }
    new Workload(cfg, server, faults).run();
    monitor.stop();
    t.join();
    server.shutdown();
    repl.close();
  }
}
