#!/bin/bash
# Realistic node activity for the benchmark capture.
set +e
for i in 1 2 3; do python3 -c "import json, email, http.client, xml.dom.minidom, sqlite3, asyncio, csv, decimal, pickle, tarfile" ; done
bash -c 'for f in /etc/*.conf; do grep -c . "$f" >/dev/null; done; ls -la /usr/bin | wc -l; find /usr/share/doc -maxdepth 2 -name "*.gz" | head -200 | xargs -n 20 ls -la >/dev/null; ps aux >/dev/null; env | sort >/dev/null; cat /proc/cpuinfo | awk "{print \$1}" | sort | uniq -c >/dev/null'
for i in $(seq 1 8); do printf '#include <stdio.h>\n#include <stdlib.h>\n#include <string.h>\nint f%d(int x){return x*%d;}\nint main(){printf("%%d\\n", f%d(3));return 0;}\n' $i $i $i > c$i.c; gcc -O1 -o c$i c$i.c && ./c$i >/dev/null; done
apt-get install --reinstall -y -qq hostname >/dev/null 2>&1
tar czf /tmp/wl/etc.tgz /etc 2>/dev/null; tar tzf /tmp/wl/etc.tgz >/dev/null
python3 - <<'PY'
import os, tempfile
d = tempfile.mkdtemp()
for i in range(200):
    with open(os.path.join(d, f"f{i}.txt"), "w") as f: f.write("x" * 100)
for i in range(200):
    with open(os.path.join(d, f"f{i}.txt")) as f: f.read()
PY
