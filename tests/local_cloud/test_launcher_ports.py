"""The launcher's port check: a listener means "in use", a closed server's TIME_WAIT does not."""

from __future__ import annotations

import socket

from local_cloud.core.launcher import port_in_use


def test_a_listening_port_is_in_use():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert port_in_use(server.getsockname()[1])


def test_a_port_left_in_time_wait_by_a_stopped_server_is_free():
    # A restart reuses the port of the server it stopped. The server closed its connections
    # first, so they sit in TIME_WAIT; the new server binds with SO_REUSEADDR and may take it.
    with socket.socket() as server:
        server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        server.bind(("127.0.0.1", 0))
        server.listen()
        port = server.getsockname()[1]
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = server.accept()
        accepted.close()  # the server side closes first: its end enters TIME_WAIT
        client.recv(1)
        client.close()
    assert not port_in_use(port)
