#!/usr/bin/env bash
# vqtune set-up on a fresh Debian/Ubuntu machine: installs what is missing, configures, builds, and
# then runs one of:
#   scripts/setup.sh demo    build vqtune and run an example `vqtune predict` (no GPU needed)
#   scripts/setup.sh test    build everything and run the format check and all tests
#                            (GPU tests skip with the reason when there is no GPU)
#   scripts/setup.sh build   only install and build
# Environment: BUILD_DIR (default build), VQT_CMAKE_ARGS (extra configure flags), CI=true turns
# warnings into errors. The CUDA toolkit is optional: found -> kernels are built too.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:-demo}
case "$mode" in demo|test|build) ;; *) echo "usage: scripts/setup.sh demo|test|build" >&2; exit 2;; esac

# Debian package -> a file that shows it is installed.
pkgs=(
  "cmake:/usr/bin/cmake"
  "ninja-build:/usr/bin/ninja"
  "g++:/usr/bin/g++"
  "git:/usr/bin/git"
  "clang-format:/usr/bin/clang-format"
  "libeigen3-dev:/usr/include/eigen3/Eigen/Core"
  "libboost-program-options-dev:/usr/include/boost/program_options.hpp"
  "libsqlite3-dev:/usr/include/sqlite3.h"
  "sqlite3:/usr/bin/sqlite3"
  "xz-utils:/usr/bin/xz"
  "nlohmann-json3-dev:/usr/include/nlohmann/json.hpp"
  "libgtest-dev:/usr/include/gtest/gtest.h"
  "libgmock-dev:/usr/include/gmock/gmock.h"
  "libbenchmark-dev:/usr/include/benchmark/benchmark.h"
)
missing=()
for entry in "${pkgs[@]}"; do
  [ -e "${entry#*:}" ] || missing+=("${entry%%:*}")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

# nvcc is often installed but not on PATH.
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH=/usr/local/cuda/bin:$PATH
fi

build=${BUILD_DIR:-build}
extra=()
[ "${CI:-}" = "true" ] && extra+=(-DVQT_WARNINGS_AS_ERRORS=ON)
# shellcheck disable=SC2206
[ -n "${VQT_CMAKE_ARGS:-}" ] && extra+=(${VQT_CMAKE_ARGS})
cmake -S . -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${extra[@]}" >&2
jobs=$(nproc)

case "$mode" in
  demo)
    cmake --build "$build" --target vqtune -j "$jobs" >&2
    echo "+ vqtune predict --gpu h100-sxm --vq aqlm-3 --op gemv --shape 11008x4096 --batch 1 --top 5" >&2
    "$build/cli/vqtune" predict --gpu h100-sxm --vq aqlm-3 --op gemv --shape 11008x4096 --batch 1 --top 5
    ;;
  build)
    cmake --build "$build" -j "$jobs"
    ;;
  test)
    scripts/check-format.sh
    cmake --build "$build" -j "$jobs"
    ctest --test-dir "$build" --output-on-failure -j "$jobs"
    ;;
esac
