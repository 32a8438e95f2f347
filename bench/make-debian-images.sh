#!/usr/bin/env bash
# Builds the benchmark images with debootstrap and a private Docker daemon (as root; needs the
# Debian packages debootstrap and docker.io, and network access to deb.debian.org):
#   OUT/debian-4.tar    docker save of a ~200 MB Debian bookworm minbase image in 4 layers
#   OUT/debian-40.tar   the same files in 40 layers
# Layer 1 is `docker import` of the tree without usr/share, usr/lib and var; the rest are COPY
# steps of a private `docker build`, so the layers are exactly what Docker itself makes.
# Usage: bench/make-debian-images.sh OUT [ROOTFS]   (ROOTFS: reuse an existing debootstrap tree)
set -euo pipefail
OUT=$(realpath -m "$1"); mkdir -p "$OUT"
W=$(mktemp -d /var/tmp/layerstore-debian.XXXXXX)
D="$W/docker"; mkdir -p "$D/root" "$D/exec"
cleanup() {
  [ -f "$D/docker.pid" ] && kill "$(cat "$D/docker.pid")" 2>/dev/null || true
  sleep 2; rm -rf "$W"
}
trap cleanup EXIT
ROOTFS=${2:-}
if [ -z "$ROOTFS" ]; then
  ROOTFS="$W/rootfs"
  debootstrap --variant=minbase bookworm "$ROOTFS" http://deb.debian.org/debian >"$W/debootstrap.log"
fi
dockerd --data-root "$D/root" --exec-root "$D/exec" -H "unix://$D/docker.sock" --pidfile "$D/docker.pid" \
        --storage-driver overlay2 --iptables=false --bridge=none >"$D/dockerd.log" 2>&1 &
export DOCKER_HOST="unix://$D/docker.sock"
for _ in $(seq 100); do docker info >/dev/null 2>&1 && break; sleep 0.2; done

tar -C "$ROOTFS" --numeric-owner --xattrs -c --exclude=./usr/share --exclude=./usr/lib --exclude=./var . \
  | docker import - bench:base >/dev/null

# 4 layers: base + usr/share + usr/lib + var
C4="$W/ctx4"; mkdir -p "$C4"
cp -a "$ROOTFS/usr/share" "$C4/share"; cp -a "$ROOTFS/usr/lib" "$C4/lib"; cp -a "$ROOTFS/var" "$C4/var"
printf 'FROM bench:base\nCOPY share /usr/share\nCOPY lib /usr/lib\nCOPY var /var\n' >"$C4/Dockerfile"
DOCKER_BUILDKIT=0 docker build -q --network none -t bench:debian-4 "$C4" >/dev/null
docker save bench:debian-4 -o "$OUT/debian-4.tar"

# 40 layers: base + the files of usr/share, usr/lib and var dealt out over 39 COPY steps, largest
# first, each to the lightest step (directories come along with their files; empty ones go into
# the first step)
C40="$W/ctx40"; mkdir -p "$C40"
( cd "$ROOTFS" && find usr/share usr/lib var ! -type d -printf '%s %p\n' | sort -k2 ) >"$W/files"
( cd "$ROOTFS" && find usr/share usr/lib var -type d -empty ) | while read -r d; do mkdir -p "$C40/c1/$d"; done
sort -rn "$W/files" | awk '{ best = 1; for (i = 2; i <= 39; i++) if (w[i] < w[best]) best = i; w[best] += $1 + 512; print best, $2 }' \
  | while read -r g f; do
      mkdir -p "$C40/c$g"; (cd "$ROOTFS" && cp -a --parents "$f" "$C40/c$g/")
    done
n=$(ls -d "$C40"/c* | wc -l)
printf 'FROM bench:base\n' >"$C40/Dockerfile"
for i in $(seq 1 "$n"); do printf 'COPY c%d/ /\n' "$i" >>"$C40/Dockerfile"; done
DOCKER_BUILDKIT=0 docker build -q --network none -t bench:debian-40 "$C40" >/dev/null
docker save bench:debian-40 -o "$OUT/debian-40.tar"
ls -la "$OUT"
for f in debian-4 debian-40; do
  echo "$f: $(tar -xOf "$OUT/$f.tar" manifest.json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)[0]["Layers"]), "layers")')"
done
