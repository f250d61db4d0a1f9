#!/bin/bash
# Pipelines, PIPESTATUS, pipefail, brace expansion, globs, coproc, subshells.
# extglob changes how a line parses: set before the line that uses it.
shopt -s extglob
true | false | true; echo "PIPESTATUS ${PIPESTATUS[*]}"
set -o pipefail; false | true; echo "pipefail $?"; set +o pipefail
echo {a,b,c}-{1..3} {10..0..5} {z..x}
d=/tmp/misc.$$; mkdir -p "$d" && cd "$d" && touch b.txt a.txt c.log .hidden
echo *.txt; shopt -s dotglob; echo *; shopt -u dotglob
echo !(*.txt)
shopt -s nullglob; echo "none: [" *.nomatch "]"; shopt -u nullglob
cd / && rm -rf "$d"
coproc UPPER { tr a-z A-Z; }
echo "to the coprocess" >&"${UPPER[1]}"
exec {UPPER[1]}>&-
read -r reply <&"${UPPER[0]}"; wait $UPPER_PID
echo "coproc said: $reply"
shopt -s lastpipe; echo piped | read -r lp; echo "lastpipe: $lp"
( exit 9 ); echo "subshell $?"
{ echo grouped; echo output; } | sort -r
x=1; { x=2; }; ( x=3 ); echo "x=$x"
echo "$(( $(seq 1 100 | paste -sd+) ))"
