package com.example.minisvc;

import org.apache.log4j.Logger;

import java.io.File;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.util.logging.Level;

/** Stores blocks as files under a data directory. */
public class StorageNode {
  static final Logger LOG = Logger.getLogger(StorageNode.class);
  private static final java.util.logging.Logger AUDIT =
      java.util.logging.Logger.getLogger("minisvc.audit");

  private final File dir;
  private long usedBytes;

  public StorageNode(String dir) {
    this.dir = new File(dir);
    if (!this.dir.isDirectory() && !this.dir.mkdirs()) {
      LOG.fatal("Cannot create data directory " + dir);
    }
  }

  public synchronized void write(long blockId, byte[] data) throws IOException {
    File f = new File(dir, "blk_" + blockId);
    if (f.exists()) {
      LOG.warn("Overwriting existing block blk_" + blockId);
    }
    usedBytes += data.length;
    LOG.info("Wrote blk_" + blockId + " of size " + data.length + " to " + f);
    AUDIT.log(Level.INFO, "write {0}", blockId);
  }

  public byte[] read(long blockId) throws IOException {
    File f = new File(dir, "blk_" + blockId);
    if (!f.exists()) {
      LOG.error("Block blk_" + blockId + " not found");
      throw new FileNotFoundException(f.getPath());
    }
    return new byte[(int) f.length()];
  }

  public void delete(long blockId) {
    File f = new File(dir, "blk_" + blockId);
    boolean deleted = f.delete();
    LOG.info("Deleted blk_" + blockId + (deleted ? "" : " (was missing)"));
    AUDIT.info("delete " + blockId);
  }
}
