package com.example.minisvc;

import java.util.zip.CRC32;

/** CRC32 of block contents, as client and storage compute it. */
public final class Checksums {
  private Checksums() {}

  public static long crc32(byte[] data) {
    CRC32 crc = new CRC32();
    crc.update(data, 0, data.length);
    return crc.getValue();
  }
}
