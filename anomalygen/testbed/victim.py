"""A client process for the session-expiry fault: `python -m anomalygen.testbed.victim HOSTS TIMEOUT STATUS`.

It holds one kazoo session with an ephemeral node and a watch, touches them every second, and appends one JSON
line per event (session established, state change) to STATUS. Frozen by SIGSTOP past TIMEOUT seconds, its
session is expired by the server; after SIGCONT kazoo sees the expiry and opens a new session.
"""

from __future__ import annotations

import json
import signal
import sys
import time


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 3:
        print("usage: python -m anomalygen.testbed.victim HOSTS TIMEOUT STATUS", file=sys.stderr)
        return 2
    hosts, timeout, status = argv[0], float(argv[1]), argv[2]
    from kazoo.client import KazooClient
    from kazoo.exceptions import KazooException, NodeExistsError

    out = open(status, "a", encoding="utf-8")  # noqa: SIM115 - written by note() all along the run, closed at its end

    def note(event: str, **kw) -> None:
        out.write(json.dumps({"t": time.time(), "event": event, **kw}) + "\n")
        out.flush()

    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    zk = KazooClient(hosts=hosts, timeout=timeout, connection_retry={"max_tries": -1, "delay": 0.2, "max_delay": 2})
    zk.add_listener(lambda state: note("state", state=str(state)))
    zk.start(timeout=60)
    zk.ensure_path("/testbed/victim")
    session = None
    n = 0
    while not stop:
        try:
            sid = zk.client_id[0] if zk.client_id else None
            if sid != session and sid is not None:
                session = sid
                note("session", session_id=f"0x{sid:x}")
                try:
                    zk.create(f"/testbed/victim/e-{sid:x}", b"", ephemeral=True)
                except NodeExistsError:
                    pass
                zk.get_children("/testbed/victim", watch=lambda ev: None)
            n += 1
            zk.set("/testbed/victim", str(n).encode())
        except KazooException as err:
            note("error", error=type(err).__name__)
        except Exception as err:  # keep the session holder alive through client-side failures
            note("error", error=type(err).__name__)
        time.sleep(1.0)
    zk.stop()
    zk.close()
    out.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
