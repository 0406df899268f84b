package com.example.minisvc;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.File;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The fault-injection switchboard. The workload driver assigns a fault to a block before its first request;
 * the service asks the switchboard at fixed points (volume choice, peer transfer, after a block is finalized,
 * half-way through a write) whether something should go wrong for that block.
 */
public class FaultInjector {
  /** Faults by name; hard ones leave the block's session failed or degraded, transient ones are recovered. */
  public enum Fault {
    NONE(false), DISK_FULL(true), PEER_DOWN(true), SLOW_PEER(true), CORRUPT_CHECKSUM(true), CRASH(true),
    BAD_REQUEST(true), VOLUME_FULL(false), FLAKY_PEER(false), SLOW_ONCE(false);

    private final boolean hard;

    Fault(boolean hard) { this.hard = hard; }

    public boolean isHard() { return hard; }

    public String label() { return name().toLowerCase(Locale.ROOT).replace('_', '-'); }

    public static Fault parse(String name) {
      return valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
    }
  }

  /** What a peer does with one transfer. */
  public enum PeerFault { NONE, REFUSE, RESET, SLOW }

  private final Map<Long, Fault> plan = new ConcurrentHashMap<>();
  private final Map<Long, String> faultyPeer = new ConcurrentHashMap<>();

  public void inject(long blockId, Fault fault) {
    if (fault != Fault.NONE) {
      plan.put(blockId, fault);
    }
  }

  public Fault faultFor(long blockId) {
    return plan.getOrDefault(blockId, Fault.NONE);
  }

  public int size() { return plan.size(); }

  /** Whether the volume tried `attempt`-th for this block reports no space. */
  public boolean volumeFull(long blockId, int attempt) {
    Fault f = faultFor(blockId);
    return f == Fault.DISK_FULL || (f == Fault.VOLUME_FULL && attempt == 0);
  }

  /** The peer faults apply to the first peer the block is sent to. */
  public PeerFault peerFault(long blockId, String peer, int attempt) {
    Fault f = faultFor(blockId);
    if (f == Fault.NONE || f == Fault.DISK_FULL || f == Fault.VOLUME_FULL) {
      return PeerFault.NONE;
    }
    String first = faultyPeer.computeIfAbsent(blockId, b -> peer);
    if (!first.equals(peer)) {
      return PeerFault.NONE;
    }
    switch (f) {
      case PEER_DOWN: return PeerFault.REFUSE;
      case FLAKY_PEER: return attempt == 0 ? PeerFault.RESET : PeerFault.NONE;
      case SLOW_PEER: return PeerFault.SLOW;
      case SLOW_ONCE: return attempt == 0 ? PeerFault.SLOW : PeerFault.NONE;
      default: return PeerFault.NONE;
    }
  }

  /** Flips a byte of a finalized block file when the block is to be corrupted on disk. */
  public void afterFinalize(long blockId, File f) throws IOException {
    if (faultFor(blockId) != Fault.CORRUPT_CHECKSUM || f.length() == 0) {
      return;
    }
    try (RandomAccessFile raf = new RandomAccessFile(f, "rw")) {
      long pos = f.length() / 2;
      raf.seek(pos);
      int b = raf.read();
      raf.seek(pos);
      raf.write(b ^ 0x5a);
    }
  }

  /** Stops the process dead (no shutdown hooks), as a power cut would, when the block is to crash the node. */
  public void maybeCrash(long blockId) {
    if (faultFor(blockId) == Fault.CRASH) {
      System.out.flush();
      Runtime.getRuntime().halt(137);
    }
  }
}
