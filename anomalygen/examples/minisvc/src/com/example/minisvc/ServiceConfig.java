package com.example.minisvc;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.logging.Level;
import java.util.logging.Logger;

/** Command-line options of the service and of its workload driver. */
public class ServiceConfig {
  private static final Logger LOG = Logger.getLogger(ServiceConfig.class.getName());

  String dataDir = "/tmp/minisvc";
  int volumes = 2;
  int peers = 4;
  int replication = 3;
  int workers = 2;
  int maxBlockSize = 64 * 1024;
  long peerTimeoutMillis = 80;
  long heartbeatMillis = 50;
  // workload driver
  int blocks = 0;
  int clients = 2;
  long seed = 1;
  double faultRate = 0.0;
  double transientRate = 0.0;
  List<FaultInjector.Fault> faultKinds = new ArrayList<>();
  List<String> injections = new ArrayList<>();
  // the operations the clients do: every session writes its block; read, update (in place) and delete are optional
  static final List<String> OPS = Arrays.asList("write", "read", "update", "delete");
  List<String> ops = new ArrayList<>(OPS);
  String truthFile = null;

  public static ServiceConfig parse(String[] args) {
    ServiceConfig c = new ServiceConfig();
    int i = 0;
    if (args.length == 1 && !args[0].startsWith("--")) {
      c.dataDir = args[0];
      return c;
    }
    while (i < args.length) {
      String opt = args[i];
      String val = i + 1 < args.length ? args[i + 1] : null;
      if (val == null) {
        LOG.warning("Option " + opt + " has no value, ignored");
        break;
      }
      try {
        switch (opt) {
          case "--data-dir": c.dataDir = val; break;
          case "--volumes": c.volumes = Integer.parseInt(val); break;
          case "--peers": c.peers = Integer.parseInt(val); break;
          case "--replication": c.replication = Integer.parseInt(val); break;
          case "--workers": c.workers = Integer.parseInt(val); break;
          case "--max-block-size": c.maxBlockSize = Integer.parseInt(val); break;
          case "--peer-timeout-ms": c.peerTimeoutMillis = Long.parseLong(val); break;
          case "--heartbeat-ms": c.heartbeatMillis = Long.parseLong(val); break;
          case "--blocks": c.blocks = Integer.parseInt(val); break;
          case "--clients": c.clients = Integer.parseInt(val); break;
          case "--seed": c.seed = Long.parseLong(val); break;
          case "--fault-rate": c.faultRate = Double.parseDouble(val); break;
          case "--transient-rate": c.transientRate = Double.parseDouble(val); break;
          case "--faults":
            for (String k : val.split(",")) {
              c.faultKinds.add(FaultInjector.Fault.parse(k));
            }
            break;
          case "--inject": c.injections.add(val); break;
          case "--ops":
            c.ops = new ArrayList<>(Arrays.asList(val.split(",")));
            if (!OPS.containsAll(c.ops) || !c.ops.contains("write")) {
              throw new IllegalArgumentException("operations are write plus any of read, update, delete");
            }
            break;
          case "--truth": c.truthFile = val; break;
          default:
            LOG.log(Level.WARNING, "Unknown option {0}, ignored", opt);
        }
      } catch (IllegalArgumentException e) {
        LOG.log(Level.SEVERE, "Bad value " + val + " for " + opt, e);
        throw e;
      }
      i += 2;
    }
    if (c.replication > c.peers + 1) {
      LOG.warning("Replication " + c.replication + " needs " + (c.replication - 1) + " peers, only " + c.peers
          + " configured");
    }
    return c;
  }
}
