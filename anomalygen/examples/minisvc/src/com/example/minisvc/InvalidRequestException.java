package com.example.minisvc;

import java.io.IOException;

/** A request the validator refused; the client gets REJECTED, not FAILED. */
public class InvalidRequestException extends IOException {
  public InvalidRequestException(String message) {
    super(message);
  }
}
