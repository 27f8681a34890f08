#!/usr/bin/env python3
"""A backend that misbehaves on request, for benches/soak.sh (stdlib only).

GET /fault/MODE, where MODE is one of:
  ok          200 with a small JSON body
  big         200 with a 256 KiB body (Content-Length)
  chunked     200 with a 64 KiB chunked body
  stall-head  reads the request and never answers (the connection closes after 60 s)
  stall-body  sends the head (Content-Length 4096) and 100 bytes, then nothing for 60 s
  reset       sends the head and 100 bytes, then resets the connection (RST)
  badchunk    sends a chunked head and a chunk whose size line is not hex
  status600   answers with status 600
Prints "listening PORT" once ready.
"""
import asyncio
import socket
import struct
import sys

BIG = b"b" * (256 * 1024)
CHUNK = b"c" * 8192


async def read_head(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip() or b"0")
    if length:
        await reader.readexactly(length)
    return head.split(b" ", 2)[1].decode("latin-1")


def plain(status, body, extra=b""):
    return (b"HTTP/1.1 %d X\r\nContent-Type: application/json\r\nContent-Length: %d\r\n%s\r\n"
            % (status, len(body), extra)) + body


async def handle(reader, writer):
    try:
        while True:
            path = await read_head(reader)
            mode = path.rsplit("/", 1)[-1].split("?")[0]
            if mode == "ok":
                writer.write(plain(200, b'{"ok":true}'))
            elif mode == "big":
                writer.write(plain(200, BIG))
            elif mode == "chunked":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n")
                for _ in range(8):
                    writer.write(b"%x\r\n%s\r\n" % (len(CHUNK), CHUNK))
                writer.write(b"0\r\n\r\n")
            elif mode == "stall-head":
                await asyncio.sleep(60)
                break
            elif mode == "stall-body":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 4096\r\n\r\n" + b"s" * 100)
                await writer.drain()
                await asyncio.sleep(60)
                break
            elif mode == "reset":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Content-Length: 4096\r\n\r\n" + b"r" * 100)
                await writer.drain()
                sock = writer.get_extra_info("socket")
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                break
            elif mode == "badchunk":
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                             b"Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\nzz\r\nbad\r\n")
                await writer.drain()
                break
            elif mode == "status600":
                writer.write(b"HTTP/1.1 600 Weird\r\nContent-Length: 2\r\n\r\n{}")
            else:
                writer.write(plain(404, b'{"unknown":true}'))
            await writer.drain()
    except (asyncio.IncompleteReadError, ConnectionError, ValueError, IndexError):
        pass
    finally:
        writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
    print("listening", server.sockets[0].getsockname()[1], flush=True)
    async with server:
        await server.serve_forever()


if __name__ == "__main__":
    try:
        asyncio.run(main())
    except KeyboardInterrupt:
        sys.exit(0)
