package com.example.minisvc;

import org.apache.log4j.Logger;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;

/** Stores blocks as files on one or more volumes (directories), with a checksum file beside each block. */
public class StorageNode {
  static final Logger LOG = Logger.getLogger(StorageNode.class);
  private static final java.util.logging.Logger AUDIT =
      java.util.logging.Logger.getLogger("minisvc.audit");
  private static final String TMP_SUFFIX = ".tmp";
  private static final String META_SUFFIX = ".meta";

  private final File dir;
  private final File[] volumes;
  private final FaultInjector faults;
  private final Map<Long, File> blocks = new ConcurrentHashMap<>();
  private final Map<Long, Long> checksums = new ConcurrentHashMap<>();
  private long usedBytes;

  public StorageNode(String dir) {
    this(dir, 1, new FaultInjector());
  }

  public StorageNode(String dir, int volumeCount, FaultInjector faults) {
    this.dir = new File(dir);
    this.faults = faults;
    if (!this.dir.isDirectory() && !this.dir.mkdirs()) {
      LOG.fatal("Cannot create data directory " + dir);
    }
    this.volumes = new File[volumeCount];
    for (int i = 0; i < volumeCount; i++) {
      volumes[i] = new File(this.dir, "vol" + i);
      if (!volumes[i].isDirectory() && !volumes[i].mkdirs()) {
        LOG.fatal("Cannot create volume " + volumes[i]);
      }
    }
  }

  /** Loads the blocks left by an earlier run; partial blocks of an unclean shutdown are discarded. */
  public void recover() {
    int partial = 0;
    for (File vol : volumes) {
      File[] files = vol.listFiles();
      if (files == null) {
        LOG.error("Cannot list volume " + vol);
        continue;
      }
      int loaded = 0;
      for (File f : files) {
        String name = f.getName();
        if (name.endsWith(TMP_SUFFIX)) {
          long blockId = Long.parseLong(name.substring(4, name.length() - TMP_SUFFIX.length()));
          LOG.warn("Discarding partial blk_" + blockId + " (" + f.length() + " bytes) left by an unclean shutdown");
          if (!f.delete()) {
            LOG.error("Could not delete partial block file " + f);
          }
          partial++;
        } else if (name.startsWith("blk_") && !name.endsWith(META_SUFFIX)) {
          long blockId = Long.parseLong(name.substring(4));
          try {
            long crc = Long.parseLong(new String(Files.readAllBytes(meta(f).toPath()), StandardCharsets.US_ASCII).trim());
            blocks.put(blockId, f);
            checksums.put(blockId, crc);
            usedBytes += f.length();
            loaded++;
          } catch (IOException | NumberFormatException e) {
            LOG.warn("Skipping blk_" + blockId + " on " + vol + ": unreadable checksum file (" + e + ")");
          }
        }
      }
      LOG.info("Volume " + vol.getName() + " holds " + loaded + " blocks");
    }
    if (partial > 0) {
      LOG.warn("Recovered from unclean shutdown: " + partial + " partial blocks discarded");
    }
    LOG.info("Storage ready: " + blocks.size() + " blocks, " + usedBytes + " bytes on " + volumes.length + " volumes");
  }

  public synchronized void write(long blockId, byte[] data) throws IOException {
    if (blocks.containsKey(blockId)) {
      LOG.warn("Overwriting existing block blk_" + blockId);
    }
    int start = (int) Math.floorMod(blockId, (long) volumes.length);
    IOException last = null;
    for (int attempt = 0; attempt < volumes.length; attempt++) {
      File vol = volumes[(start + attempt) % volumes.length];
      try {
        File f = writeTo(vol, blockId, data, attempt);
        usedBytes += data.length;
        LOG.info("Wrote blk_" + blockId + " of size " + data.length + " to " + f);
        AUDIT.log(Level.INFO, "write {0}", blockId);
        return;
      } catch (DiskFullException e) {
        last = e;
        LOG.warn("Volume " + vol.getName() + " cannot take blk_" + blockId + ": " + e.getMessage());
      }
    }
    LOG.error("No volume has space for blk_" + blockId + " (" + volumes.length + " tried)");
    throw new IOException("no space left for blk_" + blockId, last);
  }

  private File writeTo(File vol, long blockId, byte[] data, int attempt) throws IOException {
    if (faults.volumeFull(blockId, attempt)) {
      throw new DiskFullException("No space left on device");
    }
    File tmp = new File(vol, "blk_" + blockId + TMP_SUFFIX);
    File f = new File(vol, "blk_" + blockId);
    try (FileOutputStream out = new FileOutputStream(tmp)) {
      int half = data.length / 2;
      out.write(data, 0, half);
      out.flush();
      faults.maybeCrash(blockId);
      out.write(data, half, data.length - half);
    }
    long crc = Checksums.crc32(data);
    Files.write(meta(f).toPath(), Long.toString(crc).getBytes(StandardCharsets.US_ASCII));
    if (!tmp.renameTo(f)) {
      tmp.delete();
      throw new IOException("cannot finalize " + tmp);
    }
    blocks.put(blockId, f);
    checksums.put(blockId, crc);
    faults.afterFinalize(blockId, f);
    return f;
  }

  public byte[] read(long blockId) throws IOException {
    File f = blocks.get(blockId);
    if (f == null || !f.exists()) {
      LOG.error("Block blk_" + blockId + " not found");
      throw new FileNotFoundException("blk_" + blockId);
    }
    byte[] data = Files.readAllBytes(f.toPath());
    long expected = checksums.getOrDefault(blockId, -1L);
    long actual = Checksums.crc32(data);
    if (expected != actual) {
      LOG.error(String.format("Checksum mismatch on blk_%d: stored %08x, computed %08x", blockId, expected, actual));
      throw new ChecksumException(blockId, "checksum mismatch on blk_" + blockId);
    }
    if (LOG.isDebugEnabled()) {
      LOG.debug("Read blk_" + blockId + " (" + data.length + " bytes) from " + f);
    }
    return data;
  }

  /** Replaces a corrupt local copy with a good one fetched from a peer. */
  public synchronized void restore(long blockId, byte[] data) throws IOException {
    File f = blocks.get(blockId);
    if (f == null) {
      LOG.warn("Cannot restore blk_" + blockId + ": no local copy to replace");
      return;
    }
    Files.write(f.toPath(), data);
    checksums.put(blockId, Checksums.crc32(data));
    LOG.info("Restored blk_" + blockId + " on " + f.getParentFile().getName() + " from a peer replica");
  }

  public void delete(long blockId) {
    File f = blocks.remove(blockId);
    checksums.remove(blockId);
    boolean deleted = f != null && f.delete();
    if (f != null) {
      meta(f).delete();
    }
    LOG.info("Deleted blk_" + blockId + (deleted ? "" : " (was missing)"));
    AUDIT.info("delete " + blockId);
  }

  public int blockCount() { return blocks.size(); }

  private static File meta(File block) {
    return new File(block.getParentFile(), block.getName() + META_SUFFIX);
  }
}
