#!/bin/sh
# Build step (package phase, after the shade plugin): writes the launcher TARGET/layerstore and
# the dynamic AppCDS archive TARGET/layerstore.jsa, made by running the jar once on a typical
# short command against a throwaway store. Where the archive can't be made the build goes on
# with a warning: the launcher runs the jar without it.
# Usage: make-launcher.sh JAVA SOURCE_DIR TARGET_DIR
java=$1
src=$2
# Absolute, through symlinks, as the launcher names the jar: the archive records the jar's path
# and is used only with a jar of that path (and of that size and time).
target=$(cd -P -- "$3" && pwd) || exit 1

cp "$src/layerstore" "$target/layerstore" && chmod 755 "$target/layerstore" || exit 1

jsa=$target/layerstore.jsa
train=$target/cds-train
log=$target/cds-train.log
rm -f "$jsa" "$jsa.tmp"
rm -rf "$train"
# Written under another name and renamed once checked: the launcher must never meet a half-written
# archive (JDK 17 crashes on a truncated one; a stale or foreign one it just ignores). The JVM
# logs what it leaves out (picocli's Java 5 classes, among others) on stdout: into the log. The
# check runs with -Xshare:on, which fails if the archive can't be used (a crash report, if any,
# goes to target/ too).
if "$java" "-XX:ArchiveClassesAtExit=$jsa.tmp" -jar "$target/layerstore.jar" \
  --root "$train" images >"$log" 2>&1 && [ -s "$jsa.tmp" ] \
  && "$java" "-XX:SharedArchiveFile=$jsa.tmp" -Xshare:on "-XX:ErrorFile=$target/hs_err_pid%p.log" -jar "$target/layerstore.jar" \
    --root "$train" images >>"$log" 2>&1 \
  && mv -f "$jsa.tmp" "$jsa"; then
  echo "[INFO] class-data-sharing archive $jsa"
else
  rm -f "$jsa.tmp"
  echo "[WARNING] no class-data-sharing archive (see $log); the launcher runs the jar without one"
fi
rm -rf "$train"
exit 0
