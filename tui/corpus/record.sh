#!/usr/bin/env bash
# Records the seed corpus for the pane renderer's property tests: the raw
# bytes real full-screen and line programs write to a terminal, through
# `dockyard exec -it` into the test image. Re-run after changing what the
# corpus should cover; the .out files are committed.
#
#   tui/corpus/record.sh <running container made from dockyard-test:latest>
set -euo pipefail
c=${1:?usage: record.sh CONTAINER}
dir=$(cd "$(dirname "$0")" && pwd)
dockyard=${DOCKYARD:-$dir/../../target/release/dockyard}

# record NAME 'keys with pauses' COMMAND...: keys are typed one group per
# second; script(1) gives the command a real terminal of 24x80.
record() {
    local name=$1 keys=$2
    shift 2
    (
        sleep 1
        IFS='|'
        for k in $keys; do
            printf '%b' "$k"
            sleep 0.5
        done
        sleep 1
    ) | script -q -e --log-out "$dir/$name.raw" -c "stty rows 24 cols 80; $dockyard exec -it $c $*" >/dev/null
    # script(1) frames the log with its own "Script started/done" lines.
    python3 -c 'import sys; d = open(sys.argv[1], "rb").read(); d = d[d.index(b"\n") + 1:]; open(sys.argv[2], "wb").write(d[:d.rindex(b"\nScript done on ")])' "$dir/$name.raw" "$dir/$name.out"
    rm "$dir/$name.raw"
    echo "$name: $(wc -c <"$dir/$name.out") bytes"
}

record shell 'echo hello\r|ls -l /bin | head -5\r|printf "\\033[1;31mred\\033[0m\\n"\r|\033[A\r|exit\r' sh
record vi 'jjjx|dd|ihello\033|:set number\r|G|gg|:q!\r' vi /etc/passwd
record top '||||||s|q' top
record less ' |b|/root\r|G|q' less /etc/passwd
docker cp "$dir/colours.sh" "$c:/tmp/colours.sh"
record colours '' sh /tmp/colours.sh
