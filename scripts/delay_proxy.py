#!/usr/bin/env python3
"""A TCP proxy that delays every chunk the server sends: a slow shard on demand.

    scripts/delay_proxy.py LISTEN_PORT TARGET_PORT DELAY_MS [PIDFILE] [--hang]

Listens on 127.0.0.1 only. Used by the federation tests and the benchmark to put one shard
behind an injected delay without touching PostgreSQL itself.

It can also hang: SIGUSR1 (or --hang at start) makes it accept connections and hold every byte
without answering, as a wedged server does (a refused port fails fast; this does not); SIGUSR2
makes it flow again, delivering what it held late, as a server that recovers answers late.
"""
import asyncio
import os
import signal
import sys

FLOWING = None  # asyncio.Event: set while bytes flow, clear while the proxy hangs


async def pipe(reader, writer, delay):
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            await FLOWING.wait()
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


async def main(listen, target, delay, hanging):
    async def handle(client_reader, client_writer):
        await FLOWING.wait()
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(
            pipe(client_reader, server_writer, 0),
            pipe(server_reader, client_writer, delay),
        )

    global FLOWING
    FLOWING = asyncio.Event()
    if not hanging:
        FLOWING.set()

    def hang(on):
        if on:
            FLOWING.clear()
        else:
            FLOWING.set()

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, hang, True)
    loop.add_signal_handler(signal.SIGUSR2, hang, False)
    server = await asyncio.start_server(handle, "127.0.0.1", listen)
    # Port 0: the kernel chose one; say which (the caller reads this line), so no caller has to
    # pick a free port, release it and hope nobody takes it first.
    print(f"listening {server.sockets[0].getsockname()[1]}", flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--hang"]
    listen, target, delay_ms = int(args[0]), int(args[1]), float(args[2])
    if len(args) > 3:
        with open(args[3], "w") as f:
            f.write(str(os.getpid()))
    asyncio.run(main(listen, target, delay_ms / 1000.0, "--hang" in sys.argv[1:]))
