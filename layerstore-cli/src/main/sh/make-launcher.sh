#!/bin/sh
# Build step (package phase, after the shade plugin): writes the launcher TARGET/layerstore and
# the static AppCDS archive TARGET/layerstore.jsa, made from the classes typical commands load
# (each run once against throwaway stores). Where the archive can't be made the build goes on
# with a warning: the launcher runs the jar without it.
# Usage: make-launcher.sh JAVA SOURCE_DIR TARGET_DIR
java=$1
src=$2
# Absolute, through symlinks, as the launcher names the jar: the archive records the jar's path
# and is used only with a jar of that path (and of that size and time).
target=$(cd -P -- "$3" && pwd) || exit 1

cp "$src/layerstore" "$target/layerstore" && chmod 755 "$target/layerstore" || exit 1
# The JIT's directives, which the launcher passes when the file is beside it. A JVM that can't
# parse them does not start, so the build checks them here, where a mistake fails the build.
cp "$src/layerstore-jit.json" "$target/layerstore-jit.json" || exit 1
"$java" -XX:+UnlockDiagnosticVMOptions "-XX:CompilerDirectivesFile=$target/layerstore-jit.json" \
  -version >/dev/null 2>&1 || {
  echo "[ERROR] $target/layerstore-jit.json: the JVM refuses these compiler directives" >&2
  exit 1
}

jsa=$target/layerstore.jsa
train=$target/cds-train
log=$target/cds-train.log
jar=$target/layerstore.jar
rm -f "$jsa" "$jsa.tmp"
rm -rf "$train"
mkdir -p "$train/src" || exit 1
echo "layerstore class-data-sharing training" >"$train/src/file"

# A static archive (-Xshare:dump from a class list), not a dynamic one (-XX:ArchiveClassesAtExit):
# JDK 17's dynamic archive leaves out every class compiled for Java 5 or older, and picocli, which
# parses every command line, is such a library (about 200 of its classes would be loaded and
# verified from the jar on each start); the static dump keeps them. The list is the union of the
# classes that typical commands load, each run once on throwaway stores (so start-up is short for
# all of them, not only the one trained on): the listing, the demo (load, mount, save in-process),
# a build, a save and a load through the command line, and a pull that fails at once (no
# registry listens on port 9), which still loads the HTTP client and the registry code. A
# command that fails here only makes the list shorter. Lambdas implementing a picocli interface
# are dropped from the list: archiving them would link that Java 5 interface at dump time, and a
# linked old class (with everything that implements it) is excluded from the archive.
train_run() {
  n=$1
  shift
  "$java" "-XX:DumpLoadedClassList=$train/$n.classlist" -jar "$jar" "$@" >>"$log" 2>&1
}
: >"$log"
train_run 1 --root "$train/store" images
train_run 2 demo
train_run 3 --root "$train/store" build --from scratch --add "$train/src:/app" \
  --entrypoint '["/app/file"]' -t train:1
train_run 4 --root "$train/store" save -o "$train/train.tar" train:1
train_run 5 --root "$train/store2" load -i "$train/train.tar"
train_run 6 --root "$train/store" inspect train:1
train_run 7 --root "$train/store" pull 127.0.0.1:9/train/none:1
cat "$train"/*.classlist 2>/dev/null | grep -v '^#' | grep -v '^@lambda-proxy.*Lpicocli/' \
  | awk '!seen[$0]++' >"$train/classlist"

# Written under another name and renamed once checked: the launcher must never meet a half-written
# archive (JDK 17 crashes on a truncated one; a stale or foreign one it just ignores). The JVM
# logs what it leaves out on stdout: into the log. The check runs with -Xshare:on, which fails if
# the archive can't be used (a crash report, if any, goes to target/ too).
if [ -s "$train/classlist" ] \
  && "$java" -Xshare:dump "-XX:SharedClassListFile=$train/classlist" \
    "-XX:SharedArchiveFile=$jsa.tmp" -cp "$jar" >>"$log" 2>&1 && [ -s "$jsa.tmp" ] \
  && "$java" "-XX:SharedArchiveFile=$jsa.tmp" -Xshare:on "-XX:ErrorFile=$target/hs_err_pid%p.log" \
    -jar "$jar" --root "$train/store" images >>"$log" 2>&1 \
  && mv -f "$jsa.tmp" "$jsa"; then
  echo "[INFO] class-data-sharing archive $jsa ($(wc -l <"$train/classlist") classes listed)"
else
  rm -f "$jsa.tmp"
  echo "[WARNING] no class-data-sharing archive (see $log); the launcher runs the jar without one"
fi
rm -rf "$train"
exit 0
