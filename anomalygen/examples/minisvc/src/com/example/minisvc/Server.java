package com.example.minisvc;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;

/** Accepts requests and hands them to the handler on its own thread. */
public class Server implements Runnable {
  private static final Logger LOG = LoggerFactory.getLogger(Server.class);
  static final String NAME = "minisvc";

  private final BlockingQueue<Request> queue = new LinkedBlockingQueue<>();
  private final RequestHandler handler;
  private volatile boolean running = true;

  public Server(RequestHandler handler) {
    this.handler = handler;
    LOG.info("Starting " + NAME + " server");
  }

  public void submit(Request r) {
    if (!running) {
      LOG.warn("Rejecting request {}: server is stopping", r.getId());
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
      } catch (IOException e) {
        LOG.error("Failed to handle request " + r.getId(), e);
      } finally {
        if (LOG.isDebugEnabled()) {
          LOG.debug("Finished request {} in {} ms", r.getId(), r.elapsedMillis());
        }
      }
    }
    LOG.info("Server stopped");
  }

  public static void main(String[] args) throws Exception {
    StorageNode node = new StorageNode(args.length > 0 ? args[0] : "/tmp/minisvc");
    ReplicationManager repl = new ReplicationManager(3);
    Server server = new Server(new RequestHandler(node, repl));
    Thread t = new Thread(server, NAME);
    t.start();
    t.join();
  }
}
