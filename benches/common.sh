# Helpers the bench scripts source: a free port on 127.0.0.1 and fields of a JSON document.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# Fields of the JSON document on stdin (dotted paths), rounded, on one line.
get() {
  python3 -c 'import json, sys
d = json.load(sys.stdin)
values = []
for path in sys.argv[1:]:
    v = d
    for key in path.split("."):
        v = v[key]
    values.append(str(round(v)))
print(" ".join(values))' "$@"
}

# The median of each column of the lines on stdin, rounded, on one line.
medians() {
  python3 -c 'import sys, statistics as st
rows = [line.split() for line in sys.stdin if line.strip()]
print(" ".join(str(round(st.median(float(r[i]) for r in rows))) for i in range(len(rows[0]))))'
}
