"""Broker RSS per idle connection after a burst: N clients each subscribe to '#' on a broker
holding R retained 64-byte messages, read them all, then stay connected and silent for WAIT
seconds (mqtk serve gives back what a burst left within about 11 s). Prints KiB per connection.

    python3 benches/burst_idle.py PORT BROKER_PID [N [R [WAIT]]]      (defaults 2000 300 12)
"""
import selectors
import socket
import sys
import time

port, pid = int(sys.argv[1]), int(sys.argv[2])
given = [int(a) for a in sys.argv[3:6]]
n, r, wait = given + [2000, 300, 12][len(given):]


def rss_kib():
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith("VmRSS"))


def string(b):
    return len(b).to_bytes(2, "big") + b


def frame(kind, body):
    out, size = bytearray([kind]), len(body)
    while True:
        size, digit = divmod(size, 128)
        out.append(digit | (0x80 if size else 0))
        if not size:
            return bytes(out) + body


def connect(client_id):
    return frame(0x10, string(b"MQTT") + bytes([4, 2, 0, 60]) + string(client_id))


publisher = socket.create_connection(("127.0.0.1", port))
publisher.sendall(connect(b"burst-pub"))
for i in range(r):
    publisher.sendall(frame(0x31, string(f"burst/{i}".encode()) + b"x" * 64))
publisher.sendall(bytes([0xC0, 0]))
answer = b""
while not answer.endswith(bytes([0xD0, 0])):
    answer += publisher.recv(65536)
time.sleep(0.5)
before = rss_kib()
expected = sum(2 + 2 + len(f"burst/{i}") + 64 for i in range(r))
selector, received, clients = selectors.DefaultSelector(), {}, []
for i in range(n):
    c = socket.create_connection(("127.0.0.1", port))
    c.sendall(connect(f"burst-{i}".encode()) + frame(0x82, b"\x00\x01" + string(b"#") + b"\x00"))
    c.setblocking(False)
    selector.register(c, selectors.EVENT_READ)
    received[c] = 0
    clients.append(c)
drained, deadline = 0, time.time() + 60
while drained < n and time.time() < deadline:
    for key, _ in selector.select(1):
        try:
            data = key.fileobj.recv(1 << 20)
        except BlockingIOError:
            continue
        received[key.fileobj] += len(data)
        if received[key.fileobj] >= expected:
            selector.unregister(key.fileobj)
            drained += 1
time.sleep(wait)
print(f"{(rss_kib() - before) / n:.2f} {drained}")
