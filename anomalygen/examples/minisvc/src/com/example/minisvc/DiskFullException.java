package com.example.minisvc;

import java.io.IOException;

/** A volume without room for another block. */
public class DiskFullException extends IOException {
  public DiskFullException(String message) {
    super(message);
  }
}
