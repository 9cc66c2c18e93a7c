#!/usr/bin/env python3
"""A TCP proxy that delays every chunk the server sends: a slow shard on demand.

    scripts/delay_proxy.py LISTEN_PORT TARGET_PORT DELAY_MS [PIDFILE]

Listens on 127.0.0.1 only. Used by the federation tests and the benchmark to put one shard
behind an injected delay without touching PostgreSQL itself.
"""
import asyncio
import os
import sys


async def pipe(reader, writer, delay):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if delay:
                await asyncio.sleep(delay)
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        try:
            writer.close()
        except Exception:
            pass


async def main(listen, target, delay):
    async def handle(client_reader, client_writer):
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            pipe(client_reader, server_writer, 0),
            pipe(server_reader, client_writer, delay),
        )

    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    listen, target, delay_ms = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
    if len(sys.argv) > 4:
        with open(sys.argv[4], "w") as f:
            f.write(str(os.getpid()))
    asyncio.run(main(listen, target, delay_ms / 1000.0))
