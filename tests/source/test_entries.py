"""Entry points: main, thread bodies, RPC and handler methods, methods nothing calls; selection by name."""

from __future__ import annotations

import pytest
from lcfg_helpers import analyse, java_class

from anomalygen.source.entries import find_entries, select_entries


@pytest.fixture
def tree(tmp_path):
    return analyse(
        tmp_path,
        {
            "ClientProtocol": "package t;\npublic interface ClientProtocol { void create(String path); }\n",
            "Server": java_class(
                "Server",
                """
  public static void main(String[] args) { LOG.info("starting"); new Server().serve(); }
  void serve() { LOG.info("serving"); }
  public void create(String path) { LOG.info("create " + path); }
  public void handleRequest(int id) { LOG.info("request " + id); }
  private void helper() { LOG.debug("helper"); }
  void usesHelper() { helper(); }""",
            ).replace("public class Server", "public class Server implements ClientProtocol"),
            "Worker": java_class(
                "Worker",
                """
  public void run() { LOG.info("working"); }""",
            ).replace("public class Worker", "public class Worker extends Thread"),
        },
    )


def test_entries_found_with_their_reasons(tree):
    found = {e.short: e.reasons for e in find_entries(tree)}
    assert found["Server.main"] == ["main", "no-callers"]
    assert "rpc:ClientProtocol" in found["Server.create"]
    assert "handler" in found["Server.handleRequest"]
    assert "thread" in found["Worker.run"]
    assert "Server.serve" not in found and "Server.helper" not in found  # both have callers in the tree
    assert "no-callers" in found["Server.usesHelper"]


def test_selection_by_class_method_pattern(tree):
    found = find_entries(tree)
    assert [e.short for e in select_entries(found, ["Server.main"], tree)] == ["Server.main"]
    assert [e.key for e in select_entries(found, ["t.Worker.run"], tree)] == ["t.Worker#run()"]
    # a logging method that is no automatic entry can still be chosen
    (chosen,) = select_entries(found, ["Server#serve()"], tree)
    assert chosen.reasons == ["selected"]
    with pytest.raises(KeyError, match=r"Nope\.nothing"):
        select_entries(found, ["Nope.nothing"], tree)
