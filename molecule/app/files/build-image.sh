#!/bin/sh
# Builds the test application's images from this host's own files (no
# registry here): Python and the part of its standard library the app
# needs, the shared libraries they link, busybox for the tests' id, touch
# and sh, and app.py. insightengine-test/app:1 is clean; :leaky has an AWS
# key planted in a file, for the real scanner to find.
set -eu
app="$1"
docker image inspect insightengine-test/app:1 >/dev/null 2>&1 && docker image inspect insightengine-test/app:leaky >/dev/null 2>&1 && exit 0
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
py=$(readlink -f /usr/bin/python3)
ver=$(python3 -c 'import sys; print("%d.%d" % sys.version_info[:2])')
mkdir -p "$d/usr/bin" "$d/bin" "$d/app" "$d/etc" "$d/tmp" "$d/run/secrets"
cp "$py" "$d/usr/bin/python3"
tar -C / --exclude='*/test' --exclude='*/tests' --exclude='*/__pycache__' --exclude='*/idlelib' --exclude='*/tkinter' \
    --exclude='*/ensurepip' --exclude='*/lib2to3' --exclude='*/pydoc_data' --exclude='*/config-*' \
    -cf - "usr/lib/python$ver" | tar -C "$d" -xf -
for f in "$py" "$d/usr/lib/python$ver"/lib-dynload/*.so; do ldd "$f"; done 2>/dev/null \
  | awk '/=> \// {print $3} /^[ \t]*\/lib/ {print $1}' | sort -u | while read -r lib; do cp -L --parents "$lib" "$d"; done
cp /bin/busybox "$d/bin/busybox"
for tool in sh id touch cat ls; do ln -s busybox "$d/bin/$tool"; done
printf 'root:x:0:0:root:/root:/bin/sh\ninsightengine:x:10001:10001::/app:/bin/sh\n' >"$d/etc/passwd"
printf 'root:x:0:\ninsightengine:x:10001:\n' >"$d/etc/group"
cp "$app" "$d/app/app.py"
printf '#!/bin/sh\nexec /usr/bin/python3 /app/app.py --health\n' >"$d/app/healthcheck"
chmod 0755 "$d/app/healthcheck"
tar -C "$d" -c . | docker import -c 'USER 10001:10001' -c 'WORKDIR /app' -c 'ENV PATH=/usr/bin:/bin' \
  -c 'CMD ["/usr/bin/python3", "/app/app.py"]' - insightengine-test/app:1 >/dev/null
mkdir -p "$d/app/config"
# An AWS access key ID of the documented example shape, which Trivy's
# aws-access-key-id rule matches (not a real key).
printf 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPL3\n' \
  >"$d/app/config/deploy.env"
tar -C "$d" -c . | docker import -c 'USER 10001:10001' -c 'WORKDIR /app' -c 'ENV PATH=/usr/bin:/bin' \
  -c 'CMD ["/usr/bin/python3", "/app/app.py"]' - insightengine-test/app:leaky >/dev/null
